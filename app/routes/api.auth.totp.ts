import { type ActionFunctionArgs } from '@remix-run/node'
import { recordAudit } from '#db/journal/record.ts'
import { findUserById, readTotpSecret, recordTotpStep } from '#db/accounts.ts'
import { requireSession } from '#app/access/authorize.server.ts'
import { upgradeSessionAfterSecondFactor } from '#app/auth/session.server.ts'
import { tooManyAttempts } from '#app/auth/throttle.server.ts'
import { checkTotp } from '#app/auth/totp.server.ts'
import { totpRequestSchema } from '#app/auth/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

/** Step 3 of login: the second factor. Only then does the browser receive its wrapped keys. */
export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, user: sessionUser } = await requireSession({ request, context, need: 'password' })
  const { code } = await readJson(request, totpRequestSchema)
  const db = context.runtime.db.db
  const user = await findUserById(db, sessionUser.id)
  if (!user?.totpEnabledAt) throw new HttpError(409, 'La double authentification n’est pas encore activée pour ce compte.')
  // Removed by admin:reset after a lost TOTP key: the second factor stays required until the reset link is used.
  const secret = readTotpSecret(user, context.runtime.totpKey)
  if (!secret) throw new HttpError(409, 'Votre double authentification doit être réinitialisée : utilisez le lien de réinitialisation transmis par l’administrateur de la plateforme.')
  const audit = { actorUserId: user.id, ipAddress: context.clientIp }
  const keys = [`account:${user.id}`]
  const limiter = context.runtime.throttles.totp

  // Counted as a failure until it succeeds, so that parallel guesses cannot all pass this check.
  const wait = await limiter.attempt(keys)
  if (wait > 0) {
    await recordAudit(db, { type: 'auth.mfa', outcome: 'failure', data: { reason: 'throttled' } }, audit)
    throw tooManyAttempts(wait)
  }
  const check = checkTotp({ secret, email: user.email, code, lastStep: user.totpLastStep })
  if (!check.ok) {
    await recordAudit(db, { type: 'auth.mfa', outcome: 'failure', data: { reason: check.reason } }, audit)
    throw new HttpError(
      401,
      check.reason === 'replayed'
        ? 'Ce code a déjà été utilisé. Attendez le code suivant de votre application.'
        : 'Code incorrect. Vérifiez l’heure de votre téléphone et saisissez le code affiché.'
    )
  }
  const accepted = await db.transaction(async tx => {
    if (!(await recordTotpStep(tx, { userId: user.id, step: check.step }))) return false
    await recordAudit(tx, { type: 'auth.mfa', outcome: 'success', data: {} }, audit)
    return true
  })
  if (!accepted) {
    await recordAudit(db, { type: 'auth.mfa', outcome: 'failure', data: { reason: 'replayed' } }, audit)
    throw new HttpError(401, 'Ce code a déjà été utilisé. Attendez le code suivant de votre application.')
  }
  await limiter.recordSuccess(keys)
  const { cookie } = await upgradeSessionAfterSecondFactor(db, { session, request })
  return Response.json(
    {
      userId: user.id,
      wrappedAccountKey: user.wrappedAccountKey,
      wrappedIdentitySecrets: user.wrappedIdentitySecrets,
      identityPublic: user.identityPublic,
    },
    { headers: { 'Set-Cookie': cookie } }
  )
}

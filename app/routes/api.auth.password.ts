import { type ActionFunctionArgs } from '@remix-run/node'
import { fromBase64Url } from '#crypto/encoding.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findUserById, replacePasswordWrap } from '#db/accounts.ts'
import { requireSession } from '#app/access/authorize.server.ts'
import { checkWrappedAccountKey, refuseLowerKdf } from '#app/auth/key-material.server.ts'
import { hashSecret, verifySecret } from '#app/auth/secret-hash.server.ts'
import { blankSessionCookie, revokeAllSessions } from '#app/auth/session.server.ts'
import { tooManyAttempts } from '#app/auth/throttle.server.ts'
import { passwordChangeRequestSchema } from '#app/auth/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

/** Password change: the same account key re-wrapped under the new password; every session ends. */
export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  const { user: sessionUser } = await requireSession({ request, context, need: 'both-factors' })
  const body = await readJson(request, passwordChangeRequestSchema)
  const db = context.runtime.db.db
  const user = await findUserById(db, sessionUser.id)
  if (!user) throw new HttpError(401, 'Votre session a expiré. Reconnectez-vous.')
  const audit = { actorUserId: user.id, ipAddress: context.clientIp }
  const keys = [`account:${user.id}`]
  const limiter = context.runtime.throttles.login

  // Counted as a failure until it succeeds, so that parallel guesses cannot all pass this check.
  const wait = await limiter.attempt(keys)
  if (wait > 0) {
    await recordAudit(db, { type: 'auth.password.changed', outcome: 'failure', data: { reason: 'throttled' } }, audit)
    throw tooManyAttempts(wait)
  }
  if (!(await verifySecret({ hash: user.authSecretHash, secret: fromBase64Url(body.currentAuthSecret) }))) {
    await recordAudit(db, { type: 'auth.password.changed', outcome: 'failure', data: { reason: 'bad_credentials' } }, audit)
    throw new HttpError(401, 'Mot de passe actuel incorrect.', { fieldErrors: { currentPassword: ['Mot de passe actuel incorrect.'] } })
  }
  await checkWrappedAccountKey(body.newWrappedAccountKey)
  const newKdf = refuseLowerKdf({ current: user, next: body.newKdf })
  const authSecretHash = await hashSecret(fromBase64Url(body.newAuthSecret))
  await db.transaction(async tx => {
    await replacePasswordWrap(tx, { userId: user.id, authSecretHash, wrappedAccountKey: body.newWrappedAccountKey, kdf: newKdf })
    const sessionsRevoked = await revokeAllSessions(tx, user.id)
    await recordAudit(tx, { type: 'auth.password.changed', outcome: 'success', data: { sessionsRevoked } }, audit)
  })
  await limiter.recordSuccess(keys)
  return Response.json({ next: '/connexion?motif=mot-de-passe-modifie' }, { headers: { 'Set-Cookie': blankSessionCookie(db) } })
}

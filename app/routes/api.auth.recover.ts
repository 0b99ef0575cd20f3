import { type ActionFunctionArgs } from '@remix-run/node'
import { fromBase64Url } from '#crypto/encoding.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findUserByEmail, replaceAfterRecovery } from '#db/accounts.ts'
import { normalizeEmailAddress } from '#db/invitations.ts'
import { checkRecoveryWrap, checkWrappedAccountKey, refuseLowerKdf } from '#app/auth/key-material.server.ts'
import { hashSecret, verifySecret } from '#app/auth/secret-hash.server.ts'
import { revokeAllSessions } from '#app/auth/session.server.ts'
import { attemptAll, tooManyAttempts } from '#app/auth/throttle.server.ts'
import { recoveryRequestSchema } from '#app/auth/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

const REFUSED = 'Adresse électronique ou code de récupération incorrect.'
const SPENT = 'Ce code de récupération vient de servir : il a été remplacé par un nouveau code. Utilisez le nouveau code qui vous a été affiché, ou connectez-vous avec votre nouveau mot de passe.'

/**
 * Recovery, step 2: the browser opened the recovery wrap with the code and sends a proof derived from
 * the code plus the account key wrapped under the new password, and under a NEW recovery code with
 * its proof: the code used is spent (review §6). Same keys, nothing lost; every session ends; the
 * second factor is still required at the next login.
 */
export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  const body = await readJson(request, recoveryRequestSchema)
  const keys = [`account:${normalizeEmailAddress(body.email)}`]
  const addressKeys = [`ip:${context.clientIp}`]
  const limiter = context.runtime.throttles.recovery
  const addressLimiter = context.runtime.throttles.address
  const db = context.runtime.db.db
  const user = await findUserByEmail(db, body.email)
  const audit = { actorUserId: user?.id ?? null, ipAddress: context.clientIp }

  // Counted as a failure until it succeeds, so that parallel guesses cannot all pass this check.
  const wait = await attemptAll([{ throttle: limiter, keys }, { throttle: addressLimiter, keys: addressKeys }])
  if (wait > 0) {
    await recordAudit(db, { type: 'auth.recovered', outcome: 'failure', data: { reason: 'throttled' } }, audit)
    throw tooManyAttempts(wait)
  }
  const valid = await verifySecret({ hash: user?.recoverySecretHash, secret: fromBase64Url(body.recoveryAuthSecret) })
  if (!user || !valid) {
    await recordAudit(db, { type: 'auth.recovered', outcome: 'failure', data: { reason: 'bad_recovery_code' } }, audit)
    throw new HttpError(401, REFUSED)
  }
  await checkWrappedAccountKey(body.newWrappedAccountKey)
  await checkRecoveryWrap(body.newRecoveryWrappedAccountKey)
  const kdf = refuseLowerKdf({ current: user, next: body.newKdf })
  const authSecretHash = await hashSecret(fromBase64Url(body.newAuthSecret))
  const recoverySecretHash = await hashSecret(fromBase64Url(body.newRecoveryAuthSecret))
  const replaced = await db.transaction(async tx => {
    const done = await replaceAfterRecovery(tx, {
      userId: user.id,
      spentRecoverySecretHash: user.recoverySecretHash,
      authSecretHash,
      wrappedAccountKey: body.newWrappedAccountKey,
      kdf,
      recoverySecretHash,
      recoveryWrappedAccountKey: body.newRecoveryWrappedAccountKey,
    })
    if (!done) return false
    const sessionsRevoked = await revokeAllSessions(tx, user.id)
    await recordAudit(tx, { type: 'auth.recovered', outcome: 'success', data: { sessionsRevoked } }, audit)
    return true
  })
  if (!replaced) {
    await recordAudit(db, { type: 'auth.recovered', outcome: 'failure', data: { reason: 'bad_recovery_code' } }, audit)
    throw new HttpError(409, SPENT)
  }
  await limiter.recordSuccess(keys)
  return Response.json({ next: '/connexion?motif=compte-recupere' })
}

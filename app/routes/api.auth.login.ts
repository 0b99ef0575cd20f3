import { type ActionFunctionArgs } from '@remix-run/node'
import { fromBase64Url } from '#crypto/encoding.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findUserByEmail } from '#db/accounts.ts'
import { normalizeEmailAddress } from '#db/invitations.ts'
import { verifySecret } from '#app/auth/secret-hash.server.ts'
import { createUserSession } from '#app/auth/session.server.ts'
import { attemptAll, tooManyAttempts } from '#app/auth/throttle.server.ts'
import { loginRequestSchema } from '#app/auth/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

const WRONG_CREDENTIALS = 'Adresse électronique ou mot de passe incorrect.'

/** Step 2 of login: the browser proves the password with the authSecret; the password never comes here. */
export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  const { email, authSecret } = await readJson(request, loginRequestSchema)
  const keys = [`account:${normalizeEmailAddress(email)}`]
  const addressKeys = [`ip:${context.clientIp}`]
  const limiter = context.runtime.throttles.login
  const addressLimiter = context.runtime.throttles.address
  const db = context.runtime.db.db
  const user = await findUserByEmail(db, email)
  const audit = { actorUserId: user?.id ?? null, ipAddress: context.clientIp }

  // Counted as a failure until it succeeds, so that parallel guesses cannot all pass this check.
  const wait = await attemptAll([{ throttle: limiter, keys }, { throttle: addressLimiter, keys: addressKeys }])
  if (wait > 0) {
    await recordAudit(db, { type: 'auth.login', outcome: 'failure', data: { reason: 'throttled' } }, audit)
    throw tooManyAttempts(wait)
  }
  const valid = await verifySecret({ hash: user?.authSecretHash, secret: fromBase64Url(authSecret) })
  if (!user || !valid) {
    await recordAudit(db, { type: 'auth.login', outcome: 'failure', data: { reason: 'bad_credentials' } }, audit)
    throw new HttpError(401, WRONG_CREDENTIALS)
  }
  await limiter.recordSuccess(keys)
  await recordAudit(db, { type: 'auth.login', outcome: 'success', data: {} }, audit)
  const { cookie } = await createUserSession(db, { userId: user.id, mfaVerified: false, userAgent: request.headers.get('user-agent') ?? '' })
  // Without a second factor yet, the password is the only factor there is: the wrapped keys come now,
  // so the browser opens them while the password is in hand (issue 12, item 7). With one, they wait for it.
  const answer = user.totpEnabledAt
    ? { next: 'totp' as const, userId: user.id }
    : { next: 'enroll' as const, userId: user.id, wrappedAccountKey: user.wrappedAccountKey, wrappedIdentitySecrets: user.wrappedIdentitySecrets }
  return Response.json(answer, { headers: { 'Set-Cookie': cookie } })
}

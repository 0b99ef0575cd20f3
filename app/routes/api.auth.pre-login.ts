import { type ActionFunctionArgs } from '@remix-run/node'
import { fakeSaltSeed } from '#crypto/account.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { DEFAULT_KDF, findUserByEmail } from '#db/accounts.ts'
import { instanceSecret } from '#db/instance-secrets.ts'
import { tooManyAttempts } from '#app/auth/throttle.server.ts'
import { preLoginRequestSchema } from '#app/auth/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'

/**
 * Step 1 of login: the salt seed and KDF parameters for an address. An unknown address gets a
 * deterministic fake seed with the same shape, so the answer does not reveal whether an account exists.
 */
export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  const { email } = await readJson(request, preLoginRequestSchema)
  const limiter = context.runtime.throttles.preLogin
  // Every request counts (it cannot fail visibly).
  const wait = await limiter.attempt([context.clientIp])
  if (wait > 0) throw tooManyAttempts(wait)

  const db = context.runtime.db.db
  const user = await findUserByEmail(db, email)
  await initCrypto()
  // Computed for known addresses too: the same work on both paths, so timing does not tell them apart.
  const fakeSeed = fakeSaltSeed({ serverSecret: await instanceSecret(db, 'fake_salt_seed_key'), email })
  const saltSeed = user?.saltSeed ?? fakeSeed
  return Response.json(
    {
      algorithm: 'argon2id13',
      opsLimit: user?.kdfOpsLimit ?? DEFAULT_KDF.opsLimit,
      memLimitBytes: user?.kdfMemLimitBytes ?? DEFAULT_KDF.memLimitBytes,
      saltSeed,
    }
  )
}

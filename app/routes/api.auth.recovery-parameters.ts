import { createHash } from 'node:crypto'
import { type ActionFunctionArgs } from '@remix-run/node'
import { fakeSaltSeed } from '#crypto/account.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { decoyWrappedKey } from '#crypto/key-wrap.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { DEFAULT_KDF, findUserByEmail } from '#db/accounts.ts'
import { type Database } from '#db/database.ts'
import { instanceSecret } from '#db/instance-secrets.ts'
import { normalizeEmailAddress } from '#db/invitations.ts'
import { tooManyAttempts } from '#app/auth/throttle.server.ts'
import { preLoginRequestSchema } from '#app/auth/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'

/** Deterministic bytes for an unknown address, so a second request gives the same answer. */
function fakeBytes({ secret, label, email, length }: { secret: Uint8Array; label: string; email: string; length: number }): Buffer {
  const out: Buffer[] = []
  for (let counter = 0; out.length * 32 < length; counter++) {
    out.push(createHash('sha256').update(secret).update(`${label}\u0000${normalizeEmailAddress(email)}\u0000${counter}`).digest())
  }
  return Buffer.concat(out).subarray(0, length)
}

/**
 * Recovery, step 1: what the browser needs to open the recovery wrap with the code it holds. An
 * unknown address gets well-formed fakes; opening them fails like a wrong code does.
 */
export const loader = postOnly

export async function action({ request, context }: ActionFunctionArgs) {
  const { email } = await readJson(request, preLoginRequestSchema)
  const limiter = context.runtime.throttles.preLogin
  // Every request counts (it cannot fail visibly).
  const wait = await limiter.attempt([context.clientIp])
  if (wait > 0) throw tooManyAttempts(wait)

  // Both paths do the same work (the lookup, the instance secret, the fake wrap) whatever the
  // answer, so the response time does not tell whether the address has an account.
  const db = context.runtime.db.db
  const user = await findUserByEmail(db, email)
  const fake = await fakeRecoveryParameters(db, email)
  if (user) {
    return Response.json({
      userId: user.id,
      recoveryWrappedAccountKey: user.recoveryWrappedAccountKey,
      kdf: { algorithm: 'argon2id13', opsLimit: user.kdfOpsLimit, memLimitBytes: user.kdfMemLimitBytes, saltSeed: user.saltSeed },
      defaultKdf: DEFAULT_KDF,
    })
  }
  return Response.json(fake)
}

/** Well-formed parameters for an address without an account, the same at every request. */
async function fakeRecoveryParameters(db: Database, email: string) {
  await initCrypto()
  const secret = await instanceSecret(db, 'fake_salt_seed_key')
  const idBytes = fakeBytes({ secret, label: 'user-id', email, length: 16 })
  idBytes[6] = ((idBytes[6] ?? 0) & 0x0f) | 0x40
  idBytes[8] = ((idBytes[8] ?? 0) & 0x3f) | 0x80
  const hex = idBytes.toString('hex')
  const userId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  // A genuine wrap under a key nobody holds: same format and length as a real one.
  const wrap = decoyWrappedKey({ purpose: 'uak_recovery', seed: fakeBytes({ secret, label: 'recovery-wrap', email, length: 32 }) })
  return {
    userId,
    recoveryWrappedAccountKey: toBase64Url(wrap),
    kdf: { algorithm: 'argon2id13', opsLimit: DEFAULT_KDF.opsLimit, memLimitBytes: DEFAULT_KDF.memLimitBytes, saltSeed: fakeSaltSeed({ serverSecret: secret, email }) },
    defaultKdf: DEFAULT_KDF,
  }
}

import { randomBytes, randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { createAccount } from '#crypto/account.ts'
import { type IdentityKeys } from '#crypto/identity.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { deriveRecoveryAuthSecret } from '#crypto/recovery-proof.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { DEFAULT_KDF, insertUser, type KdfCost } from '#db/accounts.ts'
import { users } from '#db/schema.ts'
import { sealTotpSecret } from '#db/totp-secret.ts'
import { hashSecret } from '#app/auth/secret-hash.server.ts'
import { createUserSession, SESSION_COOKIE } from '#app/auth/session.server.ts'
import { type Runtime } from '#app/runtime.server.ts'

/** The second factor every fixture is enrolled with, for logins through the pages. */
export const FIXTURE_TOTP_SECRET = 'JBSWY3DPEHPK3PXP'

export type AccountFixture = {
  userId: string
  email: string
  password: string
  displayName: string
  /** The raw cookie value of a session with both factors done (STYLE: fixtures log in directly). */
  sessionToken: string
  /** The unwrapped keys, as a browser holds them after login (to found cells or sign links in tests). */
  keys: { userId: string; accountKey: Uint8Array; identity: IdentityKeys }
}

/**
 * A registered account with keys made by the real library, second factor enrolled, and a session
 * created directly, in the app whose runtime is given. Tests of login itself go through the pages instead.
 */
export async function createAccountFixture(
  runtime: Pick<Runtime, 'db' | 'totpKey'>,
  {
    email,
    password,
    displayName,
    profession,
    platformRole = 'none',
    kdf = DEFAULT_KDF,
    secondFactor = true,
  }: {
    email: string
    password: string
    displayName: string
    profession: string
    platformRole?: 'none' | 'platform_admin'
    /** The Argon2id cost of the password (decision 021: above the default, to test what a device pins). */
    kdf?: KdfCost
    /** False: no second factor enrolled yet, as after registration (the next login goes to enrolment). */
    secondFactor?: boolean
  },
): Promise<AccountFixture> {
  await initCrypto()
  const db = runtime.db.db
  const userId = randomUUID()
  const saltSeed = randomBytes(32).toString('base64url')
  const account = createAccount({
    userId,
    email,
    password,
    kdfParams: { algorithm: 'argon2id13', opsLimit: kdf.opsLimit, memLimitBytes: kdf.memLimitBytes, saltSeed },
  })
  await insertUser(db, {
    id: userId,
    email,
    displayName,
    profession,
    rppsNumber: null,
    adeliNumber: null,
    platformRole,
    saltSeed,
    kdf,
    authSecretHash: await hashSecret(account.authSecret),
    recoverySecretHash: await hashSecret(deriveRecoveryAuthSecret(account.recoveryCode.secret)),
    wrappedAccountKey: toBase64Url(account.wrappedAccountKeyByPassword),
    recoveryWrappedAccountKey: toBase64Url(account.wrappedAccountKeyByRecovery),
    identityPublic: toBase64Url(account.identityPublic),
    wrappedIdentitySecrets: toBase64Url(account.wrappedIdentitySecrets),
  })
  if (secondFactor) {
    // Sealed under the app's TOTP key, as enrolment stores it.
    const totpSecret = sealTotpSecret({ secret: FIXTURE_TOTP_SECRET, userId, key: runtime.totpKey })
    await db.update(users).set({ totpSecret, totpEnabledAt: new Date(), totpLastStep: 0 }).where(eq(users.id, userId))
  }
  const { token } = await createUserSession(db, { userId, mfaVerified: secondFactor, userAgent: 'fixture' })
  return { userId, email, password, displayName, sessionToken: token, keys: { userId, accountKey: account.accountKey, identity: account.identity } }
}

export function sessionCookie({ url, token }: { url: string; token: string }) {
  return { name: SESSION_COOKIE, value: token, url }
}

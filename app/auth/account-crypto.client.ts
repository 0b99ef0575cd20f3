import {
  changePassword,
  createAccount,
  deriveAccountSecrets,
  recoverAccountKey,
  unlockAccountKey,
} from '#crypto/account.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { CryptoFormatError, CryptoPolicyError, CryptoVerificationError } from '#crypto/errors.ts'
import { unwrapIdentitySecrets } from '#crypto/identity.ts'
import { deriveRecoveryAuthSecret } from '#crypto/recovery-proof.ts'
import { initCrypto, sodium } from '#crypto/sodium.ts'
import { parseRecoveryCode } from '#crypto/recovery-code.ts'
import { rememberKeys } from './key-store.client.ts'
import { type UnlockFailure } from './labels.ts'
import { accountKeysSchema } from './schemas.ts'

/** Lets the browser paint a progress message before Argon2id holds the main thread (~0.5–1 s). */
const nextFrame = () => new Promise(resolve => setTimeout(resolve, 30))

export async function deriveLoginSecrets({ email, password, kdf }: { email: string; password: string; kdf: unknown }) {
  await initCrypto()
  await nextFrame()
  const { authSecret, keyEncryptionKey } = deriveAccountSecrets({ email, password, kdfParams: kdf })
  const encoded = toBase64Url(authSecret)
  sodium.memzero(authSecret)
  return { authSecret: encoded, keyEncryptionKey }
}

export type UnlockResult = { ok: true } | { ok: false; failure: UnlockFailure }

/**
 * Opens the account key, then the identity secrets under it, and keeps them in memory. Only a
 * failed authentication of the password wrap means a wrong password: once the account key opened,
 * the password was right, and a blob that does not parse is the server's, not the person's.
 */
export function unlockKeys({
  userId,
  keyEncryptionKey,
  wrappedAccountKey,
  wrappedIdentitySecrets,
}: {
  userId: string
  keyEncryptionKey: Uint8Array
  wrappedAccountKey: string
  wrappedIdentitySecrets: string
}): UnlockResult {
  let accountKey: Uint8Array
  try {
    accountKey = unlockAccountKey({ userId, keyEncryptionKey, wrappedAccountKey })
  } catch (error) {
    if (error instanceof CryptoVerificationError) return { ok: false, failure: 'wrong_password' }
    if (error instanceof CryptoFormatError) return { ok: false, failure: 'damaged_keys' }
    throw error
  }
  try {
    const identity = unwrapIdentitySecrets({ userId, wrapped: wrappedIdentitySecrets, accountKey })
    rememberKeys({ userId, accountKey, identity })
    return { ok: true }
  } catch (error) {
    sodium.memzero(accountKey)
    if (error instanceof CryptoVerificationError || error instanceof CryptoFormatError) return { ok: false, failure: 'damaged_keys' }
    throw error
  }
}

/**
 * After a reload: fetches the wrapped keys of the signed-in account and opens them with the
 * password. Each way it can fail has its own reason; the password never leaves the browser.
 */
export async function unlockWithPassword({ password }: { password: string }): Promise<UnlockResult> {
  let response: Response
  try {
    response = await fetch('/api/account/keys', { credentials: 'same-origin' })
  } catch {
    return { ok: false, failure: 'server_unreachable' }
  }
  if (response.status === 401 || response.status === 403) return { ok: false, failure: 'session_expired' }
  if (!response.ok) return { ok: false, failure: 'server_error' }
  const material = accountKeysSchema.safeParse(await response.json().catch(() => null))
  if (!material.success) return { ok: false, failure: 'damaged_keys' }
  let keyEncryptionKey: Uint8Array
  try {
    ;({ keyEncryptionKey } = await deriveLoginSecrets({ email: material.data.email, password, kdf: material.data.kdf }))
  } catch (error) {
    // A server asking for weak or malformed parameters is refused before the password is used.
    if (error instanceof CryptoPolicyError || error instanceof CryptoFormatError) return { ok: false, failure: 'refused_parameters' }
    throw error
  }
  try {
    return unlockKeys({ ...material.data, keyEncryptionKey })
  } finally {
    keyEncryptionKey.fill(0)
  }
}

/** Registration or reset: everything is created here; the server receives wrapped and public parts. */
export async function prepareAccount({ userId, email, password, kdf }: { userId: string; email: string; password: string; kdf: unknown }) {
  await initCrypto()
  await nextFrame()
  const account = createAccount({ userId, email, password, kdfParams: kdf })
  const submission = {
    authSecret: toBase64Url(account.authSecret),
    recoveryAuthSecret: toBase64Url(deriveRecoveryAuthSecret(account.recoveryCode.secret)),
    wrappedAccountKey: toBase64Url(account.wrappedAccountKeyByPassword),
    recoveryWrappedAccountKey: toBase64Url(account.wrappedAccountKeyByRecovery),
    identityPublic: toBase64Url(account.identityPublic),
    wrappedIdentitySecrets: toBase64Url(account.wrappedIdentitySecrets),
  }
  rememberKeys({ userId, accountKey: account.accountKey, identity: account.identity })
  const recoveryCode = account.recoveryCode.code
  sodium.memzero(account.authSecret)
  sodium.memzero(account.recoveryCode.secret)
  return { submission, recoveryCode }
}

/** Password change: unlock the account key with the current password, wrap it under the new one. */
export async function preparePasswordChange({
  userId,
  email,
  currentPassword,
  newPassword,
  wrappedAccountKey,
  kdf,
}: {
  userId: string
  email: string
  currentPassword: string
  newPassword: string
  wrappedAccountKey: string
  kdf: unknown
}) {
  await initCrypto()
  await nextFrame()
  const current = deriveAccountSecrets({ email, password: currentPassword, kdfParams: kdf })
  const currentAuthSecret = toBase64Url(current.authSecret)
  let accountKey: Uint8Array
  try {
    accountKey = unlockAccountKey({ userId, keyEncryptionKey: current.keyEncryptionKey, wrappedAccountKey })
  } catch {
    return { ok: false as const }
  } finally {
    sodium.memzero(current.keyEncryptionKey)
  }
  const next = changePassword({ userId, accountKey, newPassword, email, kdfParams: kdf })
  sodium.memzero(accountKey)
  return {
    ok: true as const,
    submission: {
      currentAuthSecret,
      newAuthSecret: toBase64Url(next.authSecret),
      newWrappedAccountKey: toBase64Url(next.wrappedAccountKeyByPassword),
    },
  }
}

/** Recovery: the code opens the account key; the new password wraps it again. */
export async function prepareRecovery({
  userId,
  email,
  recoveryCode,
  newPassword,
  recoveryWrappedAccountKey,
  kdf,
}: {
  userId: string
  email: string
  recoveryCode: string
  newPassword: string
  recoveryWrappedAccountKey: string
  kdf: unknown
}) {
  await initCrypto()
  let accountKey: Uint8Array
  let recoveryAuthSecret: string
  try {
    recoveryAuthSecret = toBase64Url(deriveRecoveryAuthSecret(parseRecoveryCode(recoveryCode)))
    accountKey = recoverAccountKey({ userId, recoveryCode, wrappedAccountKey: recoveryWrappedAccountKey })
  } catch {
    return { ok: false as const }
  }
  await nextFrame()
  const next = changePassword({ userId, accountKey, newPassword, email, kdfParams: kdf })
  sodium.memzero(accountKey)
  return {
    ok: true as const,
    submission: { recoveryAuthSecret, newAuthSecret: toBase64Url(next.authSecret), newWrappedAccountKey: toBase64Url(next.wrappedAccountKeyByPassword) },
  }
}

export function isValidRecoveryCodeFormat(code: string): boolean {
  try {
    parseRecoveryCode(code)
    return true
  } catch {
    return false
  }
}

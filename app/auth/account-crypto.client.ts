import {
  changePassword,
  createAccount,
  deriveAccountSecrets,
  recoverAccountKey,
  unlockAccountKey,
} from '#crypto/account.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { unwrapIdentitySecrets } from '#crypto/identity.ts'
import { deriveRecoveryAuthSecret } from '#crypto/recovery-proof.ts'
import { initCrypto, sodium } from '#crypto/sodium.ts'
import { parseRecoveryCode } from '#crypto/recovery-code.ts'
import { rememberKeys } from './key-store.client.ts'

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
}) {
  const accountKey = unlockAccountKey({ userId, keyEncryptionKey, wrappedAccountKey })
  const identity = unwrapIdentitySecrets({ userId, wrapped: wrappedIdentitySecrets, accountKey })
  rememberKeys({ userId, accountKey, identity })
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

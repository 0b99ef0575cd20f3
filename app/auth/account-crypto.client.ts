import {
  checkKdfParams,
  createAccountFromSecrets,
  rotateRecoveryCode,
  recoverAccountKey,
  unlockAccountKey,
  wrapAccountKeyForPassword,
  type AccountSecrets,
  type KdfParams,
} from '#crypto/account.ts'
import { KDF_FLOOR } from '#crypto/kdf-limits.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { CryptoFormatError, CryptoPolicyError, CryptoVerificationError } from '#crypto/errors.ts'
import { unwrapIdentitySecrets } from '#crypto/identity.ts'
import { recoveryAuthSecretFromCode } from '#crypto/recovery-proof.ts'
import { initCrypto, sodium } from '#crypto/sodium.ts'
import { parseRecoveryCode } from '#crypto/recovery-code.ts'
import { rememberKeys } from './key-store.client.ts'
import { chooseNewAccountKdf, choosePasswordChangeKdf, compareWithPin, type KdfPin, type KdfWeakening } from './kdf-policy.ts'
import { readKdfPin } from './kdf-pins.client.ts'
import { deriveAccountSecretsInWorker, KdfFailure } from './kdf-worker.client.ts'
import { type UnlockFailure } from './labels.ts'
import { accountKeysSchema } from './schemas.ts'

type KdfCost = { opsLimit: number; memLimitBytes: number }

/** The server served weaker KDF parameters than this device saw for the account (decision 021). */
export class KdfDowngradeRefused extends Error {
  override name = 'KdfDowngradeRefused'
  readonly weakenings: KdfWeakening[]
  constructor(weakenings: KdfWeakening[]) {
    super('Paramètres de dérivation plus faibles que ceux connus de cet appareil.')
    this.weakenings = weakenings
  }
}

/** Checked on this thread before the password goes anywhere: the floor, then this device's pin. */
function checkServedKdf({ email, kdf }: { email: string; kdf: unknown }): KdfParams {
  const checked = checkKdfParams(kdf)
  const served: KdfPin = { opsLimit: checked.opsLimit, memLimitBytes: checked.memLimitBytes, saltSeed: toBase64Url(checked.saltSeed) }
  const verdict = compareWithPin({ served, pin: readKdfPin(email) })
  if (!verdict.ok) throw new KdfDowngradeRefused(verdict.weakenings)
  return { algorithm: 'argon2id13', ...served }
}

export function pinOf(kdf: KdfParams): KdfPin {
  return { opsLimit: kdf.opsLimit, memLimitBytes: kdf.memLimitBytes, saltSeed: kdf.saltSeed }
}

function wipeSecrets(secrets: AccountSecrets) {
  sodium.memzero(secrets.keyEncryptionKey)
  sodium.memzero(secrets.authSecret)
}

/** Login: the served parameters are checked, then Argon2id runs in the worker. Returns the KEK and the encoded authSecret. */
export async function deriveLoginSecrets({ email, password, kdf }: { email: string; password: string; kdf: unknown }) {
  await initCrypto()
  const kdfParams = checkServedKdf({ email, kdf })
  const { authSecret, keyEncryptionKey } = await deriveAccountSecretsInWorker({ email, password, kdfParams })
  const encoded = toBase64Url(authSecret)
  sodium.memzero(authSecret)
  return { authSecret: encoded, keyEncryptionKey, kdf: kdfParams }
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

/** The UnlockFailure a refused derivation maps to. */
function derivationFailure(error: unknown): UnlockFailure {
  if (error instanceof KdfDowngradeRefused) return 'weakened_parameters'
  // A server asking for weak or malformed parameters is refused before the password is used.
  if (error instanceof CryptoPolicyError || error instanceof CryptoFormatError) return 'refused_parameters'
  if (error instanceof KdfFailure) return error.reason === 'out_of_memory' ? 'out_of_memory' : error.reason === 'refused' ? 'refused_parameters' : 'worker_unavailable'
  throw error
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
    return { ok: false, failure: derivationFailure(error) }
  }
  try {
    return unlockKeys({ ...material.data, keyEncryptionKey })
  } finally {
    keyEncryptionKey.fill(0)
  }
}

function deviceMemoryGiB(): number | undefined {
  return (navigator as Navigator & { deviceMemory?: number }).deviceMemory
}

/**
 * Registration or reset: everything is created here; the server receives wrapped and public parts
 * and the KDF cost used. A device that reports little memory, or fails to allocate the default,
 * takes the compiled floor (new accounts only: decision 021).
 */
export async function prepareAccount({ userId, email, password, kdf }: { userId: string; email: string; password: string; kdf: unknown }) {
  await initCrypto()
  const offered = checkKdfParams(kdf)
  const saltSeed = toBase64Url(offered.saltSeed)
  let choice = chooseNewAccountKdf({ offered, deviceMemoryGiB: deviceMemoryGiB() })
  const derive = (cost: KdfCost) =>
    deriveAccountSecretsInWorker({ email, password, kdfParams: { algorithm: 'argon2id13', ...cost, saltSeed } })
  let secrets: AccountSecrets
  try {
    secrets = await derive(choice)
  } catch (error) {
    if (!(error instanceof KdfFailure) || error.reason !== 'out_of_memory' || choice.memLimitBytes <= KDF_FLOOR.memLimitBytes) throw error
    choice = chooseNewAccountKdf({ offered, deviceMemoryGiB: deviceMemoryGiB(), allocationFailed: true })
    secrets = await derive(choice)
  }
  const account = createAccountFromSecrets({ userId, secrets })
  const submission = {
    authSecret: toBase64Url(account.authSecret),
    recoveryAuthSecret: toBase64Url(recoveryAuthSecretFromCode(account.recoveryCode.code)),
    wrappedAccountKey: toBase64Url(account.wrappedAccountKeyByPassword),
    recoveryWrappedAccountKey: toBase64Url(account.wrappedAccountKeyByRecovery),
    identityPublic: toBase64Url(account.identityPublic),
    wrappedIdentitySecrets: toBase64Url(account.wrappedIdentitySecrets),
    kdf: { opsLimit: choice.opsLimit, memLimitBytes: choice.memLimitBytes },
  }
  rememberKeys({ userId, accountKey: account.accountKey, identity: account.identity })
  const recoveryCode = account.recoveryCode.code
  sodium.memzero(account.authSecret)
  sodium.memzero(account.recoveryCode.secret)
  return { submission, recoveryCode, pin: { ...submission.kdf, saltSeed }, lowMemory: choice.lowMemory }
}

/**
 * Password change: unlock the account key with the current password, wrap it under the new one,
 * derived at the platform's default where it is higher than the account's (the upgrade path).
 */
export async function preparePasswordChange({
  userId,
  email,
  currentPassword,
  newPassword,
  wrappedAccountKey,
  kdf,
  defaultKdf,
}: {
  userId: string
  email: string
  currentPassword: string
  newPassword: string
  wrappedAccountKey: string
  kdf: unknown
  defaultKdf: KdfCost
}) {
  const current = await deriveLoginSecrets({ email, password: currentPassword, kdf })
  let accountKey: Uint8Array
  try {
    accountKey = unlockAccountKey({ userId, keyEncryptionKey: current.keyEncryptionKey, wrappedAccountKey })
  } catch {
    return { ok: false as const }
  } finally {
    sodium.memzero(current.keyEncryptionKey)
  }
  try {
    const newKdf = choosePasswordChangeKdf({ offered: defaultKdf, current: current.kdf })
    const next = await deriveAccountSecretsInWorker({ email, password: newPassword, kdfParams: { ...current.kdf, ...newKdf } })
    const newWrappedAccountKey = toBase64Url(wrapAccountKeyForPassword({ userId, accountKey, keyEncryptionKey: next.keyEncryptionKey }))
    const newAuthSecret = toBase64Url(next.authSecret)
    wipeSecrets(next)
    return {
      ok: true as const,
      submission: { currentAuthSecret: current.authSecret, newAuthSecret, newWrappedAccountKey, newKdf },
      pin: { ...newKdf, saltSeed: current.kdf.saltSeed },
    }
  } finally {
    sodium.memzero(accountKey)
  }
}

/**
 * Recovery: the code opens the account key; the new password wraps it again, and a NEW recovery
 * code replaces the one just used (review §6), shown once by the page. The parsed code, the
 * recovery KEK (inside account.ts), the account key and the derived secrets are wiped here.
 */
export async function prepareRecovery({
  userId,
  email,
  recoveryCode,
  newPassword,
  recoveryWrappedAccountKey,
  kdf,
  defaultKdf,
}: {
  userId: string
  email: string
  recoveryCode: string
  newPassword: string
  recoveryWrappedAccountKey: string
  kdf: unknown
  defaultKdf: KdfCost
}) {
  await initCrypto()
  const served = checkServedKdf({ email, kdf })
  let accountKey: Uint8Array
  let recoveryAuthSecret: string
  try {
    const proof = recoveryAuthSecretFromCode(recoveryCode)
    recoveryAuthSecret = toBase64Url(proof)
    sodium.memzero(proof)
    accountKey = recoverAccountKey({ userId, recoveryCode, wrappedAccountKey: recoveryWrappedAccountKey })
  } catch {
    return { ok: false as const }
  }
  try {
    const newKdf = choosePasswordChangeKdf({ offered: defaultKdf, current: served })
    const next = await deriveAccountSecretsInWorker({ email, password: newPassword, kdfParams: { ...served, ...newKdf } })
    const newWrappedAccountKey = toBase64Url(wrapAccountKeyForPassword({ userId, accountKey, keyEncryptionKey: next.keyEncryptionKey }))
    const newAuthSecret = toBase64Url(next.authSecret)
    wipeSecrets(next)
    const rotated = rotateRecoveryCode({ userId, accountKey })
    const submission = {
      recoveryAuthSecret,
      newAuthSecret,
      newWrappedAccountKey,
      newKdf,
      newRecoveryAuthSecret: toBase64Url(rotated.recoveryAuthSecret),
      newRecoveryWrappedAccountKey: toBase64Url(rotated.wrappedAccountKeyByRecovery),
    }
    sodium.memzero(rotated.recoveryAuthSecret)
    sodium.memzero(rotated.recoveryCode.secret)
    return { ok: true as const, submission, newRecoveryCode: rotated.recoveryCode.code, pin: { ...newKdf, saltSeed: served.saltSeed } }
  } finally {
    sodium.memzero(accountKey)
  }
}

export function isValidRecoveryCodeFormat(code: string): boolean {
  try {
    // Runs before libsodium is loaded: a plain fill wipes the parsed secret.
    parseRecoveryCode(code).fill(0)
    return true
  } catch {
    return false
  }
}

import { z } from 'zod'
import { fromBase64Url, utf8 } from './encoding.ts'
import { CryptoPolicyError } from './errors.ts'
import { KEY_BYTES, parseInput } from './formats.ts'
import { encodeIdentityPublic, generateIdentityKeys, wrapIdentitySecrets, type IdentityKeys } from './identity.ts'
import { unwrapKey, wrapKey } from './key-wrap.ts'
import { randomKey, wipe } from './primitives.ts'
import { deriveRecoveryKey, generateRecoveryCode, parseRecoveryCode, type RecoveryCode } from './recovery-code.ts'
import { deriveRecoveryAuthSecret } from './recovery-proof.ts'
import { sodium } from './sodium.ts'

import { KDF_CEILING, KDF_FLOOR } from './kdf-limits.ts'

export { KDF_CEILING, KDF_FLOOR }

const SALT_SEED_BYTES = 32
const KDF_CONTEXT = 'cellacct'
const KEK_SUBKEY = 1
const AUTH_SECRET_SUBKEY = 2

export const kdfParamsSchema = z.object({
  algorithm: z.literal('argon2id13'),
  opsLimit: z.number().int().positive(),
  memLimitBytes: z.number().int().positive(),
  saltSeed: z.string(),
})
export type KdfParams = z.infer<typeof kdfParamsSchema>

type CheckedKdfParams = { opsLimit: number; memLimitBytes: number; saltSeed: Uint8Array }

/** Refuses before any derivation: a weak KDF must not even see the password. */
export function checkKdfParams(params: unknown): CheckedKdfParams {
  const parsed = parseInput({ schema: kdfParamsSchema, input: params, name: 'Paramètres KDF' })
  if (parsed.opsLimit < KDF_FLOOR.opsLimit || parsed.memLimitBytes < KDF_FLOOR.memLimitBytes) {
    throw new CryptoPolicyError({
      code: 'kdf_below_floor',
      message: 'Paramètres de dérivation trop faibles envoyés par le serveur : connexion refusée.',
    })
  }
  if (parsed.opsLimit > KDF_CEILING.opsLimit || parsed.memLimitBytes > KDF_CEILING.memLimitBytes) {
    throw new CryptoPolicyError({ code: 'kdf_above_ceiling', message: 'Paramètres de dérivation démesurés.' })
  }
  const saltSeed = fromBase64Url(parsed.saltSeed)
  if (saltSeed.length !== SALT_SEED_BYTES) {
    throw new CryptoPolicyError({ code: 'invalid_input', message: 'Graine de sel de longueur invalide.' })
  }
  return { opsLimit: parsed.opsLimit, memLimitBytes: parsed.memLimitBytes, saltSeed }
}

export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase()
}

/** Argon2id salt = BLAKE2b(server seed ‖ normalized e-mail), 16 bytes. */
export function passwordSalt({ saltSeed, email }: { saltSeed: Uint8Array; email: string }): Uint8Array {
  const message = new Uint8Array([...utf8('cellule/pwhash-salt/v1'), 0, ...saltSeed, ...utf8(normalizeEmail(email))])
  return sodium.crypto_generichash(sodium.crypto_pwhash_SALTBYTES, message, null)
}

/**
 * Server-side helper: a deterministic seed for unknown e-mails, so the login endpoint
 * answers the same way whether the account exists or not.
 */
export function fakeSaltSeed({ serverSecret, email }: { serverSecret: Uint8Array; email: string }): string {
  const seed = sodium.crypto_generichash(SALT_SEED_BYTES, utf8(`cellule/fake-seed/v1\u0000${normalizeEmail(email)}`), serverSecret)
  return sodium.to_base64(seed, sodium.base64_variants.URLSAFE_NO_PADDING)
}

export type AccountSecrets = { keyEncryptionKey: Uint8Array; authSecret: Uint8Array }

export function deriveAccountSecrets({
  password,
  email,
  kdfParams,
}: {
  password: string
  email: string
  kdfParams: unknown
}): AccountSecrets {
  const params = checkKdfParams(kdfParams)
  if (password.length === 0) throw new CryptoPolicyError({ code: 'invalid_input', message: 'Mot de passe vide.' })
  const root = sodium.crypto_pwhash(
    KEY_BYTES,
    utf8(password.normalize('NFKC')),
    passwordSalt({ saltSeed: params.saltSeed, email }),
    params.opsLimit,
    params.memLimitBytes,
    sodium.crypto_pwhash_ALG_ARGON2ID13,
  )
  const keyEncryptionKey = sodium.crypto_kdf_derive_from_key(KEY_BYTES, KEK_SUBKEY, KDF_CONTEXT, root)
  const authSecret = sodium.crypto_kdf_derive_from_key(KEY_BYTES, AUTH_SECRET_SUBKEY, KDF_CONTEXT, root)
  wipe(root)
  return { keyEncryptionKey, authSecret }
}

export function wrapAccountKeyForPassword({
  userId,
  accountKey,
  keyEncryptionKey,
}: {
  userId: string
  accountKey: Uint8Array
  keyEncryptionKey: Uint8Array
}): Uint8Array {
  return wrapKey({ key: accountKey, wrappingKey: keyEncryptionKey, purpose: 'uak_password', context: [userId] })
}

export function wrapAccountKeyForRecovery({
  userId,
  accountKey,
  recoverySecret,
}: {
  userId: string
  accountKey: Uint8Array
  recoverySecret: Uint8Array
}): Uint8Array {
  const recoveryKey = deriveRecoveryKey(recoverySecret)
  try {
    return wrapKey({ key: accountKey, wrappingKey: recoveryKey, purpose: 'uak_recovery', context: [userId] })
  } finally {
    wipe(recoveryKey)
  }
}

export function unlockAccountKey({
  userId,
  keyEncryptionKey,
  wrappedAccountKey,
}: {
  userId: string
  keyEncryptionKey: Uint8Array
  wrappedAccountKey: Uint8Array | string
}): Uint8Array {
  return unwrapKey({ wrapped: wrappedAccountKey, wrappingKey: keyEncryptionKey, purpose: 'uak_password', context: [userId] })
}

export function recoverAccountKey({
  userId,
  recoveryCode,
  wrappedAccountKey,
}: {
  userId: string
  recoveryCode: string
  wrappedAccountKey: Uint8Array | string
}): Uint8Array {
  const secret = parseRecoveryCode(recoveryCode)
  const recoveryKey = deriveRecoveryKey(secret)
  try {
    return unwrapKey({ wrapped: wrappedAccountKey, wrappingKey: recoveryKey, purpose: 'uak_recovery', context: [userId] })
  } finally {
    wipe(recoveryKey)
    wipe(secret)
  }
}

export type RotatedRecovery = {
  recoveryCode: RecoveryCode
  wrappedAccountKeyByRecovery: Uint8Array
  /** The proof the server will hash (recovery-proof.ts), replacing the old code's. */
  recoveryAuthSecret: Uint8Array
}

/**
 * A recovery code is spent once it has been used (review §6): the same account key under a fresh
 * code, its wrap and its proof, sent in the request that replaces the password. The caller shows
 * the new code once and wipes `recoveryCode.secret` and `recoveryAuthSecret` after sending.
 */
export function rotateRecoveryCode({ userId, accountKey }: { userId: string; accountKey: Uint8Array }): RotatedRecovery {
  const recoveryCode = generateRecoveryCode()
  return {
    recoveryCode,
    wrappedAccountKeyByRecovery: wrapAccountKeyForRecovery({ userId, accountKey, recoverySecret: recoveryCode.secret }),
    recoveryAuthSecret: deriveRecoveryAuthSecret(recoveryCode.secret),
  }
}

export type NewAccount = {
  authSecret: Uint8Array
  accountKey: Uint8Array
  wrappedAccountKeyByPassword: Uint8Array
  wrappedAccountKeyByRecovery: Uint8Array
  recoveryCode: RecoveryCode
  identity: IdentityKeys
  identityPublic: Uint8Array
  wrappedIdentitySecrets: Uint8Array
}

/** Registration: everything the server stores is wrapped or public; the code is shown once. */
export function createAccount({
  userId,
  password,
  email,
  kdfParams,
}: {
  userId: string
  password: string
  email: string
  kdfParams: unknown
}): NewAccount {
  return createAccountFromSecrets({ userId, secrets: deriveAccountSecrets({ password, email, kdfParams }) })
}

/**
 * The same, from secrets already derived (the browser runs Argon2id in a Web Worker). Takes
 * ownership of `secrets`: the KEK is wiped here, `authSecret` comes back in the account.
 */
export function createAccountFromSecrets({ userId, secrets }: { userId: string; secrets: AccountSecrets }): NewAccount {
  const { keyEncryptionKey, authSecret } = secrets
  const accountKey = randomKey()
  const recoveryCode = generateRecoveryCode()
  const identity = generateIdentityKeys()
  const account: NewAccount = {
    authSecret,
    accountKey,
    wrappedAccountKeyByPassword: wrapAccountKeyForPassword({ userId, accountKey, keyEncryptionKey }),
    wrappedAccountKeyByRecovery: wrapAccountKeyForRecovery({ userId, accountKey, recoverySecret: recoveryCode.secret }),
    recoveryCode,
    identity,
    identityPublic: encodeIdentityPublic({ userId, identity }),
    wrappedIdentitySecrets: wrapIdentitySecrets({ userId, identity, accountKey }),
  }
  wipe(keyEncryptionKey)
  return account
}

/** Password change re-wraps the UAK only; identity keys and cell access are untouched. */
export function changePassword({
  userId,
  accountKey,
  newPassword,
  email,
  kdfParams,
}: {
  userId: string
  accountKey: Uint8Array
  newPassword: string
  email: string
  kdfParams: unknown
}): { authSecret: Uint8Array; wrappedAccountKeyByPassword: Uint8Array } {
  const { keyEncryptionKey, authSecret } = deriveAccountSecrets({ password: newPassword, email, kdfParams })
  const wrappedAccountKeyByPassword = wrapAccountKeyForPassword({ userId, accountKey, keyEncryptionKey })
  wipe(keyEncryptionKey)
  return { authSecret, wrappedAccountKeyByPassword }
}

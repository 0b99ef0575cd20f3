import { fromBase64Url } from '#crypto/encoding.ts'
import { CryptoError } from '#crypto/errors.ts'
import { openIdentityPublic } from '#crypto/identity.ts'
import { decodeWrappedKey, type WrapPurpose } from '#crypto/key-wrap.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { type KdfCost, type KeyMaterial, type User } from '#db/accounts.ts'

import { hashSecret } from './secret-hash.server.ts'
import { HttpError } from '#app/access/http-error.ts'

type SubmittedKeys = {
  authSecret: string
  recoveryAuthSecret: string
  wrappedAccountKey: string
  recoveryWrappedAccountKey: string
  identityPublic: string
  wrappedIdentitySecrets: string
}

export async function checkRecoveryWrap(value: string): Promise<void> {
  await initCrypto()
  try {
    checkWrap({ value, purpose: 'uak_recovery', label: 'Clé de récupération' })
  } catch (error) {
    if (error instanceof CryptoError) throw new HttpError(422, `Clé refusée : ${error.message}`)
    throw error
  }
}

function checkWrap({ value, purpose, label }: { value: string; purpose: WrapPurpose; label: string }) {
  const decoded = decodeWrappedKey(fromBase64Url(value))
  if (decoded.purpose !== purpose) throw new HttpError(422, `${label} : usage de clé inattendu.`)
}

/**
 * The cost of a new password for an existing account: never lower than the stored one, since other
 * devices pinned it (decision 021). Absent: the stored cost is kept.
 */
export function refuseLowerKdf({ current, next }: { current: Pick<User, 'kdfOpsLimit' | 'kdfMemLimitBytes'>; next: KdfCost | undefined }): KdfCost {
  if (!next) return { opsLimit: current.kdfOpsLimit, memLimitBytes: current.kdfMemLimitBytes }
  if (next.opsLimit < current.kdfOpsLimit || next.memLimitBytes < current.kdfMemLimitBytes) {
    throw new HttpError(422, 'Le nouveau mot de passe doit être protégé au moins aussi fortement que l’actuel : rechargez la page et recommencez.')
  }
  return next
}

/** A new password wrap of the account key (password change, recovery). */
export async function checkWrappedAccountKey(value: string): Promise<void> {
  await initCrypto()
  try {
    checkWrap({ value, purpose: 'uak_password', label: 'Clé de compte' })
  } catch (error) {
    if (error instanceof CryptoError) throw new HttpError(422, `Clé refusée : ${error.message}`)
    throw error
  }
}

/**
 * The server cannot open what it stores, but it refuses malformed blobs: every wrap must have the
 * format and purpose its column says, and the public identity must carry a valid self-signature
 * for this very account.
 */
export async function checkSubmittedKeys({ userId, keys }: { userId: string; keys: SubmittedKeys }): Promise<KeyMaterial> {
  await initCrypto()
  try {
    checkWrap({ value: keys.wrappedAccountKey, purpose: 'uak_password', label: 'Clé de compte' })
    checkWrap({ value: keys.recoveryWrappedAccountKey, purpose: 'uak_recovery', label: 'Clé de récupération' })
    checkWrap({ value: keys.wrappedIdentitySecrets, purpose: 'identity_secrets', label: 'Clés d’identité' })
    const identity = openIdentityPublic(keys.identityPublic)
    if (identity.userId !== userId) throw new HttpError(422, 'Identité publique émise pour un autre compte.')
  } catch (error) {
    if (error instanceof CryptoError) throw new HttpError(422, `Clés refusées : ${error.message}`)
    throw error
  }
  return {
    authSecretHash: await hashSecret(fromBase64Url(keys.authSecret)),
    recoverySecretHash: await hashSecret(fromBase64Url(keys.recoveryAuthSecret)),
    wrappedAccountKey: keys.wrappedAccountKey,
    recoveryWrappedAccountKey: keys.recoveryWrappedAccountKey,
    identityPublic: keys.identityPublic,
    wrappedIdentitySecrets: keys.wrappedIdentitySecrets,
  }
}

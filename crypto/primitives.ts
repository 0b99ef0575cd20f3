import { ByteWriter, concatBytes, utf8 } from './encoding.ts'
import { CryptoVerificationError } from './errors.ts'
import { COMMITMENT_BYTES, HASH_BYTES, KEY_BYTES, KEY_ID_BYTES, NONCE_BYTES } from './formats.ts'
import { sodium } from './sodium.ts'

export type SigningKeyPair = { publicKey: Uint8Array; secretKey: Uint8Array }
export type BoxKeyPair = { publicKey: Uint8Array; secretKey: Uint8Array }

export type RandomSource = (length: number) => Uint8Array

const systemRandom: RandomSource = (length) => sodium.randombytes_buf(length)
let randomSource: RandomSource = systemRandom

/**
 * Test-only hook behind crypto/testing.ts (golden vectors): swaps the source every random key,
 * nonce and key pair of crypto/ draws from, and returns the function that restores it. Lint
 * (eslint.config.js) forbids importing it anywhere but crypto/testing.ts.
 */
export function __swapRandomSourceForTesting(source: RandomSource): () => void {
  const previous = randomSource
  randomSource = source
  return () => {
    randomSource = previous
  }
}

export function randomBytes(length: number): Uint8Array {
  return randomSource(length)
}

export function randomKey(): Uint8Array {
  return randomSource(KEY_BYTES)
}

export function randomNonce(): Uint8Array {
  return randomSource(NONCE_BYTES)
}

/** BLAKE2b over a domain label and canonical parts, so no two uses can collide. */
export function domainHash({
  domain,
  parts,
  length = HASH_BYTES,
  key,
}: {
  domain: string
  parts: readonly Uint8Array[]
  length?: number
  key?: Uint8Array
}): Uint8Array {
  const message = concatBytes([new ByteWriter().string(domain).finish(), ...parts])
  return sodium.crypto_generichash(length, message, key ?? null)
}

const digestKeys = new Map<string, Uint8Array>()

/**
 * BLAKE2b-256 of signed bytes, keyed by a per-use domain key (BLAKE2b of the label):
 * domain separation without copying the message. This 32-byte digest is what Ed25519 signs.
 */
export function signatureDigest({ domain, signedBytes }: { domain: string; signedBytes: Uint8Array }): Uint8Array {
  let key = digestKeys.get(domain)
  if (!key) {
    key = sodium.crypto_generichash(32, utf8(domain), null)
    digestKeys.set(domain, key)
  }
  return sodium.crypto_generichash(HASH_BYTES, signedBytes, key)
}

/** Public key id: reveals nothing about a 256-bit key, names it in AD and lookups. */
export function keyId(key: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(KEY_ID_BYTES, utf8('cellule/key-id/v1'), key)
}

/** Key commitment published in the roster so every member is served the same key. */
export function keyCommitment(key: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(COMMITMENT_BYTES, utf8('cellule/key-commitment/v1'), key)
}

export function aeadEncrypt({
  plaintext,
  associatedData,
  nonce,
  key,
}: {
  plaintext: Uint8Array
  associatedData: Uint8Array
  nonce: Uint8Array
  key: Uint8Array
}): Uint8Array {
  return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData, null, nonce, key)
}

export function aeadDecrypt({
  ciphertext,
  associatedData,
  nonce,
  key,
  what,
}: {
  ciphertext: Uint8Array
  associatedData: Uint8Array
  nonce: Uint8Array
  key: Uint8Array
  what: string
}): Uint8Array {
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, associatedData, nonce, key)
  } catch {
    throw new CryptoVerificationError({ code: 'decryption_failed', message: `${what} : déchiffrement impossible.` })
  }
}

export function sign({ message, secretKey }: { message: Uint8Array; secretKey: Uint8Array }): Uint8Array {
  return sodium.crypto_sign_detached(message, secretKey)
}

export function verifySignature({
  signature,
  message,
  publicKey,
}: {
  signature: Uint8Array
  message: Uint8Array
  publicKey: Uint8Array
}): boolean {
  try {
    return sodium.crypto_sign_verify_detached(signature, message, publicKey)
  } catch {
    return false
  }
}

export function assertSignature({
  signature,
  message,
  publicKey,
  what,
}: {
  signature: Uint8Array
  message: Uint8Array
  publicKey: Uint8Array
  what: string
}): void {
  if (!verifySignature({ signature, message, publicKey })) {
    throw new CryptoVerificationError({ code: 'bad_signature', message: `${what} : signature invalide.` })
  }
}

/** Same construction as crypto_sign_keypair (a random 32-byte seed), drawn from the one random source. */
export function generateSigningKeyPair(): SigningKeyPair {
  const seed = randomBytes(32)
  const pair = signingKeyPairFromSeed(seed)
  wipe(seed)
  return pair
}

/** crypto_box_keypair draws its secret internally; a random seed keeps every draw on the one source. */
export function generateBoxKeyPair(): BoxKeyPair {
  const seed = randomBytes(32)
  const pair = boxKeyPairFromSeed(seed)
  wipe(seed)
  return pair
}

export function signingKeyPairFromSeed(seed: Uint8Array): SigningKeyPair {
  const pair = sodium.crypto_sign_seed_keypair(seed)
  return { publicKey: pair.publicKey, secretKey: pair.privateKey }
}

export function boxKeyPairFromSeed(seed: Uint8Array): BoxKeyPair {
  const pair = sodium.crypto_box_seed_keypair(seed)
  return { publicKey: pair.publicKey, secretKey: pair.privateKey }
}

/**
 * crypto_box_seal, byte-compatible with libsodium's, computed here so the ephemeral pair comes
 * from the one random source (golden vectors pin it through crypto/testing.ts). A fresh pair per
 * seal, wiped after use: reusing one for the same recipient would reuse a crypto_box nonce.
 */
export function sealToPublicKey({ message, recipientPublicKey }: { message: Uint8Array; recipientPublicKey: Uint8Array }): Uint8Array {
  const ephemeral = generateBoxKeyPair()
  const nonce = sodium.crypto_generichash(NONCE_BYTES, concatBytes([ephemeral.publicKey, recipientPublicKey]), null)
  const boxed = sodium.crypto_box_easy(message, nonce, recipientPublicKey, ephemeral.secretKey)
  wipe(ephemeral.secretKey)
  return concatBytes([ephemeral.publicKey, boxed])
}

export function openSealed({
  sealed,
  recipient,
  what,
}: {
  sealed: Uint8Array
  recipient: BoxKeyPair
  what: string
}): Uint8Array {
  try {
    return sodium.crypto_box_seal_open(sealed, recipient.publicKey, recipient.secretKey)
  } catch {
    throw new CryptoVerificationError({ code: 'decryption_failed', message: `${what} : ouverture impossible.` })
  }
}

export function wipe(bytes: Uint8Array): void {
  sodium.memzero(bytes)
}

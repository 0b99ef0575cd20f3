import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export type SigningKey = { readonly privateKey: KeyObject; readonly publicKey: KeyObject; readonly publicKeyRaw: Buffer }

/** RFC 8410 SPKI header for a 32-byte Ed25519 public key. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export function rawPublicKey(publicKey: KeyObject): Buffer {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError('clé Ed25519 attendue / Ed25519 key expected')
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return Buffer.from(der.subarray(ED25519_SPKI_PREFIX.length))
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new RangeError('une clé publique Ed25519 fait 32 octets / an Ed25519 public key is 32 bytes')
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
}

/** Strict standard base64 of the raw 32 bytes: the export and CLI spelling of the log key. */
export function publicKeyFromBase64(text: string): KeyObject {
  const raw = Buffer.from(text, 'base64')
  if (raw.toString('base64') !== text) throw new TypeError('clé publique : base64 non canonique / public key: non-canonical base64')
  return publicKeyFromRaw(raw)
}

function fromPrivateKey(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('la clé de signature du journal doit être Ed25519 / the log signing key must be Ed25519')
  const publicKey = createPublicKey(privateKey)
  return { privateKey, publicKey, publicKeyRaw: rawPublicKey(publicKey) }
}

export function generateSigningKey(): SigningKey {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey)
}

/** RFC 8410 PKCS#8 header for a 32-byte Ed25519 seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** Deterministic key for golden vectors and tests; production keys come from loadOrCreateSigningKey. */
export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new RangeError('une graine Ed25519 fait 32 octets / an Ed25519 seed is 32 bytes')
  return fromPrivateKey(createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }))
}

export function signingKeyFromPem(pem: string): SigningKey {
  return fromPrivateKey(createPrivateKey({ key: pem, format: 'pem' }))
}

export function signingKeyToPem(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT'
}

/**
 * Reads the PKCS#8 PEM key at `path`; when absent and `allowCreate` (development only),
 * writes a new one readable by its owner only. 'wx' never overwrites a key another
 * process created meanwhile: losing the key would orphan every checkpoint it signed.
 */
export function loadOrCreateSigningKey({ path: file, allowCreate }: { path: string; allowCreate: boolean }): { key: SigningKey; created: boolean } {
  try {
    return { key: signingKeyFromPem(readFileSync(file, 'utf8')), created: false }
  } catch (error) {
    if (!isMissing(error)) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new Error(`Clé de signature du journal illisible (${file}) / unreadable audit signing key: ${reason}`)
    }
  }
  if (!allowCreate) throw new Error(`Clé de signature du journal absente : ${file} / audit signing key missing (AUDIT_SIGNING_KEY_FILE)`)
  const key = generateSigningKey()
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  try {
    writeFileSync(file, signingKeyToPem(key), { flag: 'wx', mode: 0o600 })
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') return { key: signingKeyFromPem(readFileSync(file, 'utf8')), created: false }
    throw error
  }
  return { key, created: true }
}

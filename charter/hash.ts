import { canonicalJson } from './canonical-json.ts'
import { type Charter, charterSchema } from './schema.ts'

/**
 * The bytes a charter hash covers: the charter re-parsed (defaults filled, text NFC, unknown keys
 * refused) then written as canonical JSON in UTF-8. Throws a ZodError on an invalid charter.
 */
export function canonicalCharterBytes(charter: Charter): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(canonicalJson(charterSchema.parse(charter)))
}

/** SHA-256 of the canonical bytes, 32 bytes (the form the roster's `charter_version` link carries). */
export async function charterDigest(charter: Charter): Promise<Uint8Array> {
  const bytes = canonicalCharterBytes(charter)
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes))
}

/** SHA-256 of the canonical bytes, lowercase hex (64 characters). */
export async function charterHash(charter: Charter): Promise<string> {
  return bytesToHex(await charterDigest(charter))
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, byte => byte.toString(16).padStart(2, '0')).join('')
}

export function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new TypeError('Expected lowercase hexadecimal with an even length')
  const bytes = new Uint8Array(hex.length / 2)
  for (let index = 0; index < bytes.length; index++) bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16)
  return bytes
}

export const CHARTER_SIGNATURE_CONTEXT = 'cellule/charter-signature/v1'

/**
 * What a member's identity key signs (Ed25519) to sign a charter version. Fields are checked so
 * that no two (cell, version, hash) triples can produce the same message.
 */
export function charterSigningMessage({
  cellId,
  version,
  hash,
}: {
  cellId: string
  version: number
  hash: string
}): Uint8Array<ArrayBuffer> {
  if (cellId.length === 0 || /[\r\n]/.test(cellId)) throw new TypeError('cellId must be non-empty and on one line')
  if (!Number.isSafeInteger(version) || version < 1) throw new TypeError('version must be a positive integer')
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new TypeError('hash must be 64 lowercase hexadecimal characters')
  return new TextEncoder().encode(`${CHARTER_SIGNATURE_CONTEXT}\n${cellId}\n${version}\n${hash}`)
}

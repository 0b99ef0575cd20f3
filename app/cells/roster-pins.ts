import { ByteReader, ByteWriter, bytesEqual, fromBase64Url, toBase64Url } from '#crypto/encoding.ts'
import { CryptoFormatError } from '#crypto/errors.ts'
import { HASH_BYTES, NONCE_BYTES, ID_PATTERN } from '#crypto/formats.ts'
import { aeadDecrypt, aeadEncrypt, randomNonce } from '#crypto/primitives.ts'
import { type RosterPin } from '#crypto/roster.ts'
import { sodium } from '#crypto/sodium.ts'

/**
 * The roster pins an account carries from device to device (issue 13 item 5, decision 022): for
 * each cell, the (seq, head hash) of the last roster head one of its devices saw *anchored*, in one
 * AEAD blob under a key derived from the account key (UAK). The server stores the blob and its
 * counter; it can withhold it or serve an older one (an older genuine pin still makes a fabricated
 * roster a fork), never read it, forge it or move it to another account.
 *
 * Blob, base64url: `0x01 | nonce(24) | XChaCha20-Poly1305(body)`,
 * body = `u32 count | count × (string cellId | u32 seq | headHash(32))`, sorted by cell id,
 * AD = `0x01 | "cellule/roster-pins/v1" | userId | u64 counter`.
 * Key = crypto_kdf_derive_from_key(UAK, subkey 1, context "rostpins").
 */

export const ROSTER_PINS_VERSION = 1
const AD_DOMAIN = 'cellule/roster-pins/v1'
const KDF_CONTEXT = 'rostpins'
const KDF_SUBKEY = 1
/** Far above any person's number of cells; keeps the blob under the route's cap. */
export const MAX_PINNED_CELLS = 150

/** cellId → pin. */
export type PinSet = Map<string, RosterPin>

function pinsKey(accountKey: Uint8Array): Uint8Array {
  return sodium.crypto_kdf_derive_from_key(32, KDF_SUBKEY, KDF_CONTEXT, accountKey)
}

function associatedData({ userId, counter }: { userId: string; counter: number }): Uint8Array {
  return new ByteWriter().u8(ROSTER_PINS_VERSION).string(AD_DOMAIN).string(userId).u64(counter).finish()
}

function refuse(message: string): CryptoFormatError {
  return new CryptoFormatError({ code: 'malformed', message: `Repères de registre synchronisés : ${message}` })
}

function encodeBody(pins: PinSet): Uint8Array {
  if (pins.size > MAX_PINNED_CELLS) throw refuse(`plus de ${MAX_PINNED_CELLS} cellules`)
  const writer = new ByteWriter().u32(pins.size)
  for (const [cellId, pin] of [...pins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const hash = fromBase64Url(pin.hash)
    if (!ID_PATTERN.test(cellId) || hash.length !== HASH_BYTES || !Number.isSafeInteger(pin.seq) || pin.seq < 0 || pin.seq > 0xffffffff) throw refuse('repère invalide')
    writer.string(cellId).u32(pin.seq).bytes(hash)
  }
  return writer.finish()
}

function decodeBody(bytes: Uint8Array): PinSet {
  const reader = new ByteReader(bytes)
  const count = reader.u32()
  if (count > MAX_PINNED_CELLS) throw refuse(`plus de ${MAX_PINNED_CELLS} cellules`)
  const pins: PinSet = new Map()
  for (let index = 0; index < count; index++) {
    const cellId = reader.string()
    const seq = reader.u32()
    const hash = reader.bytes(HASH_BYTES)
    if (!ID_PATTERN.test(cellId) || pins.has(cellId)) throw refuse('identifiant de cellule invalide ou répété')
    pins.set(cellId, { seq, hash: toBase64Url(hash) })
  }
  reader.end()
  return pins
}

/** Seals the pin set for this account at this counter; `nonce` is for golden vectors only. */
export function sealRosterPins({ userId, accountKey, counter, pins, nonce = randomNonce() }: { userId: string; accountKey: Uint8Array; counter: number; pins: PinSet; nonce?: Uint8Array }): string {
  const key = pinsKey(accountKey)
  try {
    const ciphertext = aeadEncrypt({ plaintext: encodeBody(pins), associatedData: associatedData({ userId, counter }), nonce, key })
    return toBase64Url(new ByteWriter().u8(ROSTER_PINS_VERSION).bytes(nonce).bytes(ciphertext).finish())
  } finally {
    key.fill(0)
  }
}

/**
 * Opens a blob served for this account at this counter. Another account's blob, another counter's
 * or a modified one fails authentication (CryptoVerificationError); a malformed one is a CryptoFormatError.
 */
export function openRosterPins({ userId, accountKey, counter, blob }: { userId: string; accountKey: Uint8Array; counter: number; blob: string }): PinSet {
  const reader = new ByteReader(fromBase64Url(blob))
  reader.version(ROSTER_PINS_VERSION)
  const nonce = reader.bytes(NONCE_BYTES)
  const ciphertext = reader.rest()
  const key = pinsKey(accountKey)
  try {
    return decodeBody(aeadDecrypt({ ciphertext, associatedData: associatedData({ userId, counter }), nonce, key, what: 'Repères de registre synchronisés' }))
  } finally {
    key.fill(0)
  }
}

export type PinComparison = { kind: 'same' } | { kind: 'first' } | { kind: 'second' } | { kind: 'fork' }

/**
 * The merge rule for one cell: the higher seq wins (a pin only moves forward); two pins at the same
 * seq with different hashes are a fork, the same alarm as a roster that diverges from its pin.
 * Pins at different seqs cannot be compared without the chain: the next roster check does it.
 */
export function comparePins(first: RosterPin | undefined, second: RosterPin | undefined): PinComparison {
  if (!second) return first ? { kind: 'first' } : { kind: 'same' }
  if (!first) return { kind: 'second' }
  if (first.seq !== second.seq) return first.seq > second.seq ? { kind: 'first' } : { kind: 'second' }
  return bytesEqual(fromBase64Url(first.hash), fromBase64Url(second.hash)) ? { kind: 'same' } : { kind: 'fork' }
}

/** Merges two pin sets cell by cell; a forked cell keeps `first`'s pin and is listed in `forks`. */
export function mergePinSets({ first, second }: { first: PinSet; second: PinSet }): { pins: PinSet; forks: string[]; changedFirst: boolean } {
  const pins: PinSet = new Map(first)
  const forks: string[] = []
  let changedFirst = false
  for (const [cellId, pin] of second) {
    const comparison = comparePins(first.get(cellId), pin)
    if (comparison.kind === 'fork') forks.push(cellId)
    if (comparison.kind === 'second') {
      pins.set(cellId, pin)
      changedFirst = true
    }
  }
  return { pins, forks, changedFirst }
}

import { ByteReader, ByteWriter, concatBytes } from './encoding.ts'
import { AEAD_TAG_BYTES, FORMAT_VERSION, KEY_BYTES, NONCE_BYTES, bytesSchema, codeLookup, parseFormat } from './formats.ts'
import { aeadDecrypt, aeadEncrypt, randomNonce } from './primitives.ts'
import { sodium } from './sodium.ts'
import { CryptoFormatError, CryptoPolicyError } from './errors.ts'

/** What a wrapped key is for; part of the AD so a wrap cannot be replayed in another role. */
export const wrapPurposes = {
  uak_password: { code: 1, keyLength: KEY_BYTES },
  uak_recovery: { code: 2, keyLength: KEY_BYTES },
  identity_secrets: { code: 3, keyLength: 96 },
  situation_key: { code: 4, keyLength: KEY_BYTES },
  // 5 (intake secrets under CK) and 8 (index key under CK) are retired: both are sealed to members now.
  note_key: { code: 6, keyLength: KEY_BYTES },
  previous_epoch: { code: 7, keyLength: KEY_BYTES },
  previous_index_key: { code: 9, keyLength: KEY_BYTES },
} as const

export type WrapPurpose = keyof typeof wrapPurposes

/** Ordered context bound into the AD (owner, cell, epoch, … or a canonical header); never stored in the blob. */
export type WrapContext = readonly (string | number | Uint8Array)[]

export const WRAPPED_KEY_HEADER_BYTES = 2

export function wrappedKeyLength(purpose: WrapPurpose): number {
  return WRAPPED_KEY_HEADER_BYTES + NONCE_BYTES + wrapPurposes[purpose].keyLength + AEAD_TAG_BYTES
}

const purposeFromCode = codeLookup({
  table: Object.fromEntries(Object.entries(wrapPurposes).map(([name, value]) => [name, value.code])) as Record<WrapPurpose, number>,
  what: 'Usage de clé',
})

/** The item count is one byte: a longer context is refused rather than wrapped modulo 256. */
export const MAX_WRAP_CONTEXT_ITEMS = 255

function encodeContext({ purpose, context }: { purpose: WrapPurpose; context: WrapContext }): Uint8Array {
  if (context.length > MAX_WRAP_CONTEXT_ITEMS) {
    throw new CryptoPolicyError({
      code: 'invalid_input',
      message: `Contexte de clé enveloppée trop long (${context.length} éléments, ${MAX_WRAP_CONTEXT_ITEMS} au plus).`,
    })
  }
  const writer = new ByteWriter().u8(FORMAT_VERSION).u8(wrapPurposes[purpose].code).u8(context.length)
  for (const part of context) {
    if (typeof part === 'string') writer.u8(0x73).string(part)
    else if (typeof part === 'number') writer.u8(0x6e).u64(part)
    else writer.u8(0x62).longBytes(part)
  }
  return writer.finish()
}

export type DecodedWrappedKey = { purpose: WrapPurpose; nonce: Uint8Array; ciphertext: Uint8Array }

/** Lengths are checked while reading: a wrap's size is fixed by its purpose. */
export function decodeWrappedKey(bytes: Uint8Array): DecodedWrappedKey {
  const reader = new ByteReader(bytes)
  reader.version(FORMAT_VERSION)
  const purpose = purposeFromCode(reader.u8())
  const nonce = reader.bytes(NONCE_BYTES)
  const ciphertext = reader.bytes(wrapPurposes[purpose].keyLength + AEAD_TAG_BYTES)
  reader.end()
  return { purpose, nonce, ciphertext }
}

export const wrappedKeySchema = bytesSchema.transform(decodeWrappedKey)

/** `0x01 | purpose | nonce(24) | XChaCha20-Poly1305(key)`; AD = version, purpose, context. */
export function wrapKey({
  key,
  wrappingKey,
  purpose,
  context,
}: {
  key: Uint8Array
  wrappingKey: Uint8Array
  purpose: WrapPurpose
  context: WrapContext
}): Uint8Array {
  if (key.length !== wrapPurposes[purpose].keyLength) {
    throw new CryptoFormatError({ code: 'bad_length', message: `Clé de longueur ${key.length} pour ${purpose}.` })
  }
  const associatedData = encodeContext({ purpose, context })
  const nonce = randomNonce()
  const ciphertext = aeadEncrypt({ plaintext: key, associatedData, nonce, key: wrappingKey })
  return new ByteWriter().u8(FORMAT_VERSION).u8(wrapPurposes[purpose].code).bytes(nonce).bytes(ciphertext).finish()
}

export function unwrapKey({
  wrapped,
  wrappingKey,
  purpose,
  context,
}: {
  wrapped: Uint8Array | string | DecodedWrappedKey
  wrappingKey: Uint8Array
  purpose: WrapPurpose
  context: WrapContext
}): Uint8Array {
  // A wrap embedded in a larger blob arrives already decoded by that blob's schema.
  const parsed =
    typeof wrapped === 'string' || wrapped instanceof Uint8Array
      ? parseFormat({ schema: wrappedKeySchema, input: wrapped, name: 'Clé enveloppée' })
      : wrapped
  if (parsed.purpose !== purpose) {
    throw new CryptoFormatError({ code: 'malformed', message: `Clé enveloppée pour ${parsed.purpose}, attendu ${purpose}.` })
  }
  return aeadDecrypt({
    ciphertext: parsed.ciphertext,
    associatedData: encodeContext({ purpose, context }),
    nonce: parsed.nonce,
    key: wrappingKey,
    what: 'Clé enveloppée',
  })
}

/**
 * A well-formed wrap that no key opens, the same for the same seed: the server answers an
 * unknown address with it so that answer cannot be told from a real one. Its bytes are a
 * BLAKE2b stream of the seed, no encryption happens, so there is no nonce to reuse.
 */
export function decoyWrappedKey({ purpose, seed }: { purpose: WrapPurpose; seed: Uint8Array }): Uint8Array {
  const length = NONCE_BYTES + wrapPurposes[purpose].keyLength + AEAD_TAG_BYTES
  const blocks: Uint8Array[] = []
  // BLAKE2b outputs 16 to 64 bytes: whole 64-byte blocks, one per counter value, then cut.
  for (let block = 0; block * 64 < length; block++) {
    const label = new ByteWriter().string('cellule/decoy-wrapped-key/v1').u8(wrapPurposes[purpose].code).u8(block).finish()
    blocks.push(sodium.crypto_generichash(64, label, seed))
  }
  return new ByteWriter().u8(FORMAT_VERSION).u8(wrapPurposes[purpose].code).bytes(concatBytes(blocks).subarray(0, length)).finish()
}

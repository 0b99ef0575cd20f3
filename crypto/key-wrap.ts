import { ByteReader, ByteWriter } from './encoding.ts'
import { AEAD_TAG_BYTES, FORMAT_VERSION, KEY_BYTES, NONCE_BYTES, bytesSchema, codeLookup, parseFormat } from './formats.ts'
import { aeadDecrypt, aeadEncrypt, randomNonce } from './primitives.ts'
import { CryptoFormatError } from './errors.ts'

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

function encodeContext({ purpose, context }: { purpose: WrapPurpose; context: WrapContext }): Uint8Array {
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
  nonce = randomNonce(),
}: {
  key: Uint8Array
  wrappingKey: Uint8Array
  purpose: WrapPurpose
  context: WrapContext
  nonce?: Uint8Array
}): Uint8Array {
  if (key.length !== wrapPurposes[purpose].keyLength) {
    throw new CryptoFormatError({ code: 'bad_length', message: `Clé de longueur ${key.length} pour ${purpose}.` })
  }
  const associatedData = encodeContext({ purpose, context })
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

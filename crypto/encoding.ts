import { CryptoFormatError, CryptoPolicyError } from './errors.ts'
import { sodium } from './sodium.ts'

const textEncoder = new TextEncoder()
// ignoreBOM keeps decoding canonical: a leading U+FEFF stays part of the string.
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text)
}

export function fromUtf8(bytes: Uint8Array): string {
  try {
    return textDecoder.decode(bytes)
  } catch {
    throw new CryptoFormatError({ code: 'bad_text', message: 'Texte UTF-8 invalide.' })
  }
}

export function toBase64Url(bytes: Uint8Array): string {
  return sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING)
}

/** Strict: rejects padding, the standard alphabet and non-canonical trailing bits. */
export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new CryptoFormatError({ code: 'bad_base64', message: 'Base64url invalide.' })
  }
  let bytes: Uint8Array
  try {
    bytes = sodium.from_base64(text, sodium.base64_variants.URLSAFE_NO_PADDING)
  } catch {
    throw new CryptoFormatError({ code: 'bad_base64', message: 'Base64url invalide.' })
  }
  if (toBase64Url(bytes) !== text) {
    throw new CryptoFormatError({ code: 'bad_base64', message: 'Base64url non canonique.' })
  }
  return bytes
}

/** Accepts either bytes or their base64url transport form. */
export function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? fromBase64Url(input) : input
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium.memcmp(a, b)
}

/**
 * Refuses what a fixed-width field cannot hold exactly: a wrapped or truncated integer would
 * encode (and open) as another value, e.g. a key sealed for epoch 2^32 opening as epoch 0.
 */
function checkedInteger({ value, max, width }: { value: number; max: number; width: string }): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new CryptoPolicyError({
      code: 'invalid_input',
      message: `Valeur ${String(value)} impossible à encoder en ${width} : un entier de 0 à ${max} est attendu.`,
    })
  }
  return value
}

/** Canonical binary writer: big-endian integers, u16-length-prefixed strings. */
export class ByteWriter {
  private parts: Uint8Array[] = []

  u8(value: number): this {
    this.parts.push(Uint8Array.of(checkedInteger({ value, max: 0xff, width: 'u8' })))
    return this
  }

  u16(value: number): this {
    const out = new Uint8Array(2)
    new DataView(out.buffer).setUint16(0, checkedInteger({ value, max: 0xffff, width: 'u16' }))
    this.parts.push(out)
    return this
  }

  u32(value: number): this {
    const out = new Uint8Array(4)
    new DataView(out.buffer).setUint32(0, checkedInteger({ value, max: 0xffffffff, width: 'u32' }))
    this.parts.push(out)
    return this
  }

  /** Milliseconds since the epoch and other integers up to 2^53 - 1 (what ByteReader.u64 accepts). */
  u64(value: number): this {
    const out = new Uint8Array(8)
    new DataView(out.buffer).setBigUint64(0, BigInt(checkedInteger({ value, max: Number.MAX_SAFE_INTEGER, width: 'u64' })))
    this.parts.push(out)
    return this
  }

  bytes(value: Uint8Array): this {
    this.parts.push(value)
    return this
  }

  string(value: string): this {
    const encoded = utf8(value)
    if (encoded.length > 0xffff) {
      throw new CryptoPolicyError({ code: 'invalid_input', message: 'Texte trop long pour être encodé (65 535 octets au plus).' })
    }
    this.u16(encoded.length)
    this.parts.push(encoded)
    return this
  }

  /** u32 length prefix, for bodies. */
  longBytes(value: Uint8Array): this {
    this.u32(value.length)
    this.parts.push(value)
    return this
  }

  finish(): Uint8Array {
    return concatBytes(this.parts)
  }
}

function truncated(): CryptoFormatError {
  return new CryptoFormatError({ code: 'bad_length', message: 'Données tronquées.' })
}

/** Reads what ByteWriter wrote; every overrun or leftover byte is a CryptoFormatError. */
export class ByteReader {
  private offset = 0
  private readonly view: DataView

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  }

  get position(): number {
    return this.offset
  }

  version(expected: number): void {
    const found = this.u8()
    if (found !== expected) {
      throw new CryptoFormatError({ code: 'unknown_version', message: `Version ${found} inconnue.` })
    }
  }

  u8(): number {
    if (this.offset + 1 > this.data.length) throw truncated()
    return this.data[this.offset++] as number
  }

  u32(): number {
    if (this.offset + 4 > this.data.length) throw truncated()
    const value = this.view.getUint32(this.offset)
    this.offset += 4
    return value
  }

  u64(): number {
    if (this.offset + 8 > this.data.length) throw truncated()
    const value = this.view.getBigUint64(this.offset)
    this.offset += 8
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CryptoFormatError({ code: 'malformed', message: 'Entier hors limites.' })
    }
    return Number(value)
  }

  bytes(length: number): Uint8Array {
    if (this.offset + length > this.data.length) throw truncated()
    const out = this.data.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  string(): string {
    if (this.offset + 2 > this.data.length) throw truncated()
    const length = this.view.getUint16(this.offset)
    this.offset += 2
    const bytes = this.bytes(length)
    // Ids are ASCII: skip the TextDecoder for them, it dominates short strings.
    if (length <= 128 && bytes.every((byte) => byte < 0x80)) return String.fromCharCode(...bytes)
    return fromUtf8(bytes)
  }

  longBytes(): Uint8Array {
    return this.bytes(this.u32())
  }

  rest(): Uint8Array {
    return this.bytes(this.data.length - this.offset)
  }

  slice(start: number, end: number): Uint8Array {
    return this.data.subarray(start, end)
  }

  end(): void {
    if (this.offset !== this.data.length) {
      throw new CryptoFormatError({ code: 'bad_length', message: 'Octets en trop.' })
    }
  }
}

import { CryptoFormatError, CryptoVerificationError } from './errors.ts'
import { randomBytes } from './primitives.ts'

/** Crockford base32: no I, L, O, U, so what is read aloud or copied by hand stays unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const CODE_BYTES = 16
const DATA_DIGITS = 26
const CHECK_DIGITS = 2
/** Prime below 32², so every single substitution and adjacent transposition changes the check. */
const CHECK_MODULUS = 1021n
const GROUP = 4

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}

function bigIntToBytes({ value, length }: { value: bigint; length: number }): Uint8Array {
  const out = new Uint8Array(length)
  for (let index = length - 1; index >= 0; index--) {
    out[index] = Number(value & 0xffn)
    value >>= 8n
  }
  return out
}

function digitsOf({ value, count }: { value: bigint; count: number }): string {
  let out = ''
  for (let index = count - 1; index >= 0; index--) {
    out += ALPHABET[Number((value >> BigInt(5 * index)) & 31n)]
  }
  return out
}

/** Formats 128 random bits as 7 groups of 4 characters, the last two being a checksum. */
export function formatHumanCode(secret: Uint8Array): string {
  if (secret.length !== CODE_BYTES) {
    throw new CryptoFormatError({ code: 'bad_length', message: 'Un code porte 128 bits.' })
  }
  const value = bytesToBigInt(secret)
  const digits = digitsOf({ value, count: DATA_DIGITS }) + digitsOf({ value: value % CHECK_MODULUS, count: CHECK_DIGITS })
  return digits.match(new RegExp(`.{1,${GROUP}}`, 'g'))?.join('-') ?? digits
}

export function generateHumanCode(): { secret: Uint8Array; code: string } {
  const secret = randomBytes(CODE_BYTES)
  return { secret, code: formatHumanCode(secret) }
}

/** Tolerates case, spaces, hyphens and the usual O/0, I/L/1 confusions; a typo fails the checksum. */
export function parseHumanCode(code: string): Uint8Array {
  const cleaned = code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1')
  if (cleaned.length !== DATA_DIGITS + CHECK_DIGITS) {
    throw new CryptoFormatError({ code: 'bad_length', message: 'Le code doit compter 28 caractères.' })
  }
  let value = 0n
  let check = 0n
  for (const [index, character] of [...cleaned].entries()) {
    const digit = ALPHABET.indexOf(character)
    if (digit < 0) {
      throw new CryptoFormatError({ code: 'malformed', message: `Caractère « ${character} » impossible dans un code.` })
    }
    if (index < DATA_DIGITS) value = (value << 5n) | BigInt(digit)
    else check = (check << 5n) | BigInt(digit)
  }
  if (value >> 128n !== 0n || value % CHECK_MODULUS !== check) {
    throw new CryptoVerificationError({ code: 'bad_checksum', message: 'Code erroné : vérifiez chaque caractère.' })
  }
  return bigIntToBytes({ value, length: CODE_BYTES })
}

/** Decimal digits in groups of 4 for codes read aloud (roster code, SAS). */
export function digitsFromHash({ hash, digits }: { hash: Uint8Array; digits: number }): string {
  const value = bytesToBigInt(hash.subarray(0, 16)) % 10n ** BigInt(digits)
  const text = value.toString().padStart(digits, '0')
  return text.match(/.{1,4}/g)?.join(' ') ?? text
}

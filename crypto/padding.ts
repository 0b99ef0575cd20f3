import { CryptoFormatError } from './errors.ts'
import { sodium } from './sodium.ts'

const LARGE_STEP = 64 * 1024
const BUCKETS = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, LARGE_STEP] as const

/** Padded length for a plaintext: powers of two up to 64 KiB, then multiples of 64 KiB. */
export function bucketLength(plaintextLength: number): number {
  for (const bucket of BUCKETS) if (plaintextLength + 1 <= bucket) return bucket
  return Math.ceil((plaintextLength + 1) / LARGE_STEP) * LARGE_STEP
}

export function isBucketLength(length: number): boolean {
  return (BUCKETS as readonly number[]).includes(length) || (length > 0 && length % LARGE_STEP === 0)
}

/** ISO/IEC 7816-4 padding (libsodium `pad`) up to the bucket, so sizes leak little. */
export function padToBucket(plaintext: Uint8Array): Uint8Array {
  const target = bucketLength(plaintext.length)
  return sodium.pad(plaintext, target > LARGE_STEP ? LARGE_STEP : target)
}

/** Strips ISO/IEC 7816-4 padding without copying (the input is authenticated plaintext). */
export function unpadFromBucket(padded: Uint8Array): Uint8Array {
  if (!isBucketLength(padded.length)) {
    throw new CryptoFormatError({ code: 'bad_length', message: 'Longueur hors des paliers de remplissage.' })
  }
  let index = padded.length - 1
  while (index >= 0 && padded[index] === 0) index--
  if (index < 0 || padded[index] !== 0x80) {
    throw new CryptoFormatError({ code: 'malformed', message: 'Remplissage invalide.' })
  }
  return padded.subarray(0, index)
}

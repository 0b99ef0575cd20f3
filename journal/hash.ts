import { createHash } from 'node:crypto'

/** Domain-separation prefixes: RFC 9162 §2.1 for 0x00/0x01, 0x02 is ours for detail commitments. */
export const LEAF_PREFIX = 0x00
export const NODE_PREFIX = 0x01
export const COMMITMENT_PREFIX = 0x02
export const HASH_SIZE = 32

export function sha256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return hash.digest()
}

const HEX_32 = /^[0-9a-f]{64}$/

/** Lower-case hex only: one spelling per value keeps encodings canonical. */
export function isHash32Hex(value: string): boolean {
  return HEX_32.test(value)
}

export function hexToHash(value: string): Buffer {
  if (!isHash32Hex(value)) throw new TypeError('expected 32 bytes as 64 lower-case hex digits')
  return Buffer.from(value, 'hex')
}

/** A proof's hashes, or null unless every one is 32 bytes of lower-case hex. */
export function hexHashes(list: readonly string[]): Buffer[] | null {
  return list.every(isHash32Hex) ? list.map((hash) => Buffer.from(hash, 'hex')) : null
}

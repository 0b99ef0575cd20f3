import { createHash } from 'node:crypto'

/** Straight transcription of RFC 9162 §2.1 recursions, the reference for property tests. */
function h(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return hash.digest()
}

function k(n: number): number {
  let power = 1
  while (power * 2 < n) power *= 2
  return power
}

export function naiveLeafHash(index: number): Buffer {
  return h(Buffer.from([0]), Buffer.from(`entry ${index}`))
}

export function naiveRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return h()
  if (leaves.length === 1) return leaves[0]!
  const split = k(leaves.length)
  return h(Buffer.from([1]), naiveRoot(leaves.slice(0, split)), naiveRoot(leaves.slice(split)))
}

export function naivePath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return []
  const split = k(leaves.length)
  return m < split
    ? [...naivePath(m, leaves.slice(0, split)), naiveRoot(leaves.slice(split))]
    : [...naivePath(m - split, leaves.slice(split)), naiveRoot(leaves.slice(0, split))]
}

function subproof(m: number, leaves: readonly Buffer[], complete: boolean): Buffer[] {
  const n = leaves.length
  if (m === n) return complete ? [] : [naiveRoot(leaves)]
  const split = k(n)
  return m <= split
    ? [...subproof(m, leaves.slice(0, split), complete), naiveRoot(leaves.slice(split))]
    : [...subproof(m - split, leaves.slice(split), false), naiveRoot(leaves.slice(0, split))]
}

export function naiveConsistency(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (m === 0 || m === leaves.length) return []
  return subproof(m, leaves, true)
}

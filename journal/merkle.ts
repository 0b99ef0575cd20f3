import { HASH_SIZE, NODE_PREFIX, hexToHash, sha256 } from './hash.ts'

/** RFC 9162 §2.1.1: MTH({}) = SHA-256() */
export const EMPTY_ROOT: Buffer = sha256()

/** RFC 9162 §2.1.1 interior node. */
export function hashChildren({ left, right }: { left: Uint8Array; right: Uint8Array }): Buffer {
  return sha256(Uint8Array.of(NODE_PREFIX), left, right)
}

/**
 * Tree sizes may exceed 2^31, where JavaScript bit operators wrap: all size arithmetic
 * goes through these helpers, exact up to Number.MAX_SAFE_INTEGER.
 */
export function isSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}

/** Largest power of two strictly below n (n ≥ 2), the split point k of RFC 9162 §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

export function bitCount(n: number): number {
  let count = 0
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2
  return count
}

/**
 * The compact range [0, size): one root per perfect subtree, left (largest) to right,
 * matching the set bits of size from most to least significant. O(log n) state that the
 * sequencer persists instead of re-reading leaves.
 */
export type Frontier = { readonly size: number; readonly nodes: readonly Buffer[] }

export const EMPTY_FRONTIER: Frontier = { size: 0, nodes: [] }

export function appendLeafHash({ frontier, leafHash }: { frontier: Frontier; leafHash: Uint8Array }): Frontier {
  if (leafHash.length !== HASH_SIZE) throw new RangeError('leaf hash must be 32 bytes')
  const nodes = [...frontier.nodes]
  let node: Buffer = Buffer.from(leafHash)
  // Each trailing 1 bit of the old size is a perfect subtree of the same height to merge with.
  for (let rest = frontier.size; rest % 2 === 1; rest = Math.floor(rest / 2)) {
    const left = nodes.pop()
    if (!left) throw new Error('corrupt frontier: fewer nodes than set bits')
    node = hashChildren({ left, right: node })
  }
  nodes.push(node)
  return { size: frontier.size + 1, nodes }
}

export function frontierRoot(frontier: Frontier): Buffer {
  const nodes = frontier.nodes
  let root = nodes[nodes.length - 1]
  if (!root) return EMPTY_ROOT
  for (let i = nodes.length - 2; i >= 0; i--) root = hashChildren({ left: nodes[i]!, right: root })
  return root
}

export function frontierFromLeafHashes(leafHashes: Iterable<Uint8Array>): Frontier {
  let frontier = EMPTY_FRONTIER
  for (const leafHash of leafHashes) frontier = appendLeafHash({ frontier, leafHash })
  return frontier
}

/** Root of the first `size` leaves (all of them by default), in O(n) time and O(log n) memory. */
export function rootOf({ leafHashes, size = leafHashes.length }: { leafHashes: readonly Uint8Array[]; size?: number }): Buffer {
  if (!isSize(size) || size > leafHashes.length) throw new RangeError(`size ${size} outside 0..${leafHashes.length}`)
  return frontierRoot(frontierFromLeafHashes(leafHashes.slice(0, size)))
}

/** Persisted form: sizes as numbers, nodes as lower-case hex. */
export type SerializedFrontier = { size: number; nodes: string[] }

export function serializeFrontier(frontier: Frontier): SerializedFrontier {
  return { size: frontier.size, nodes: frontier.nodes.map((node) => node.toString('hex')) }
}

export function parseFrontier(value: SerializedFrontier): Frontier {
  if (!isSize(value.size)) throw new RangeError('frontier size must be a non-negative safe integer')
  if (value.nodes.length !== bitCount(value.size)) throw new RangeError(`frontier of size ${value.size} needs ${bitCount(value.size)} nodes, got ${value.nodes.length}`)
  return { size: value.size, nodes: value.nodes.map((node) => hexToHash(node)) }
}

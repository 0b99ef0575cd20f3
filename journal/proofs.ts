import { HASH_SIZE } from './hash.ts'
import { EMPTY_ROOT, hashChildren, isSize, splitPoint } from './merkle.ts'

/**
 * In-memory tree for proof generation: level h holds the roots of the complete, aligned
 * subtrees of 2^h leaves. Every left branch of the RFC 9162 recursion is such a subtree,
 * so any range root costs O(log n) look-ups and a proof O(log² n) at worst.
 * (The database will serve the same hashes from 256-leaf tiles.)
 */
export type ProofTree = { readonly size: number; readonly levels: readonly (readonly Buffer[])[] }

export function buildProofTree(leafHashes: readonly Uint8Array[]): ProofTree {
  const levels: Buffer[][] = [leafHashes.map((hash) => Buffer.from(hash))]
  for (let below = levels[0]!; below.length >= 2; ) {
    const above: Buffer[] = []
    for (let i = 0; i + 1 < below.length; i += 2) above.push(hashChildren({ left: below[i]!, right: below[i + 1]! }))
    levels.push(above)
    below = above
  }
  return { size: leafHashes.length, levels }
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && 2 ** Math.round(Math.log2(n)) === n
}

/** MTH(D[start:end]) for the ranges the RFC 9162 recursion produces (start aligned as it requires). */
function rangeRoot({ tree, start, end }: { tree: ProofTree; start: number; end: number }): Buffer {
  const width = end - start
  if (width === 0) return EMPTY_ROOT
  if (isPowerOfTwo(width) && start % width === 0) {
    const node = tree.levels[Math.round(Math.log2(width))]?.[start / width]
    if (node) return node
  }
  const k = splitPoint(width)
  return hashChildren({ left: rangeRoot({ tree, start, end: start + k }), right: rangeRoot({ tree, start: start + k, end }) })
}

function checkSize({ tree, size }: { tree: ProofTree; size: number }): void {
  if (!isSize(size) || size > tree.size) throw new RangeError(`tree size ${size} outside 0..${tree.size}`)
}

export function treeRoot({ tree, size = tree.size }: { tree: ProofTree; size?: number }): Buffer {
  checkSize({ tree, size })
  return rangeRoot({ tree, start: 0, end: size })
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]), deepest sibling first. */
export function inclusionProof({ tree, index, size }: { tree: ProofTree; index: number; size: number }): Buffer[] {
  checkSize({ tree, size })
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf index ${index} outside 0..${size - 1}`)
  const path: Buffer[] = []
  let start = 0
  let end = size
  while (end - start > 1) {
    const k = splitPoint(end - start)
    if (index < start + k) {
      path.push(rangeRoot({ tree, start: start + k, end }))
      end = start + k
    } else {
      path.push(rangeRoot({ tree, start, end: start + k }))
      start += k
    }
  }
  return path.reverse()
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]); empty for m = 0 or m = n. */
export function consistencyProof({ tree, from, to }: { tree: ProofTree; from: number; to: number }): Buffer[] {
  checkSize({ tree, size: to })
  if (!isSize(from) || from > to) throw new RangeError(`consistency from ${from} to ${to}: need 0 ≤ from ≤ to`)
  if (from === 0 || from === to) return []
  const proof: Buffer[] = []
  let start = 0
  let end = to
  let m = from
  let completeSubtree = true
  // SUBPROOF(m, D[start:end], b), unrolled; hashes are collected top-down and reversed at the end.
  while (m !== end - start) {
    const k = splitPoint(end - start)
    if (m <= k) {
      proof.push(rangeRoot({ tree, start: start + k, end }))
      end = start + k
    } else {
      proof.push(rangeRoot({ tree, start, end: start + k }))
      start += k
      m -= k
      completeSubtree = false
    }
  }
  if (!completeSubtree) proof.push(rangeRoot({ tree, start, end }))
  return proof.reverse()
}

function isHashList(proof: readonly Uint8Array[]): boolean {
  return proof.every((hash) => hash.length === HASH_SIZE)
}

function isOdd(n: number): boolean {
  return n % 2 === 1
}

function half(n: number): number {
  return Math.floor(n / 2)
}

/** Root implied by an inclusion proof (RFC 9162 §2.1.3.2), or null when the proof is malformed for (index, size). */
export function rootFromInclusionProof({ leafHash, index, size, proof }: { leafHash: Uint8Array; index: number; size: number; proof: readonly Uint8Array[] }): Buffer | null {
  if (!isSize(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) return null
  if (leafHash.length !== HASH_SIZE || !isHashList(proof)) return null
  let fn = index
  let sn = size - 1
  let r: Buffer = Buffer.from(leafHash)
  for (const p of proof) {
    if (sn === 0) return null
    if (isOdd(fn) || fn === sn) {
      r = hashChildren({ left: p, right: r })
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      r = hashChildren({ left: r, right: p })
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 ? r : null
}

export function verifyInclusion({ leafHash, index, size, proof, root }: { leafHash: Uint8Array; index: number; size: number; proof: readonly Uint8Array[]; root: Uint8Array }): boolean {
  const computed = rootFromInclusionProof({ leafHash, index, size, proof })
  return computed !== null && computed.equals(root)
}

/** RFC 9162 §2.1.4.2, plus the edge cases it leaves to the caller (from = 0, from = to). */
export function verifyConsistency({ from, to, fromRoot, toRoot, proof }: { from: number; to: number; fromRoot: Uint8Array; toRoot: Uint8Array; proof: readonly Uint8Array[] }): boolean {
  if (!isSize(from) || !isSize(to) || from > to) return false
  if (fromRoot.length !== HASH_SIZE || toRoot.length !== HASH_SIZE || !isHashList(proof)) return false
  if (from === to) return proof.length === 0 && Buffer.from(fromRoot).equals(toRoot)
  if (from === 0) return proof.length === 0 && Buffer.from(fromRoot).equals(EMPTY_ROOT)
  if (proof.length === 0) return false
  const path: Uint8Array[] = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof]
  let fn = from - 1
  let sn = to - 1
  while (isOdd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  const [first, ...rest] = path
  if (!first) return false
  let fr: Buffer = Buffer.from(first)
  let sr: Buffer = Buffer.from(first)
  for (const c of rest) {
    if (sn === 0) return false
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren({ left: c, right: fr })
      sr = hashChildren({ left: c, right: sr })
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      sr = hashChildren({ left: sr, right: c })
    }
    fn = half(fn)
    sn = half(sn)
  }
  return fr.equals(fromRoot) && sr.equals(toRoot) && sn === 0
}

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  EMPTY_FRONTIER,
  EMPTY_ROOT,
  appendLeafHash,
  frontierFromLeafHashes,
  frontierRoot,
  parseFrontier,
  rootOf,
  serializeFrontier,
} from '#journal/merkle.ts'
import {
  buildProofTree,
  consistencyProof,
  inclusionProof,
  rootFromInclusionProof,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '#journal/proofs.ts'
import { naiveConsistency, naiveLeafHash, naivePath, naiveRoot } from './naive.ts'

const MAX = 300
const leaves = Array.from({ length: MAX }, (_, index) => naiveLeafHash(index))
const tree = buildProofTree(leaves)
const roots = Array.from({ length: MAX + 1 }, (_, size) => naiveRoot(leaves.slice(0, size)))

function flip(hash: Buffer, byte = 0): Buffer {
  const copy = Buffer.from(hash)
  copy[byte % copy.length] = copy[byte % copy.length]! ^ 0x01
  return copy
}

describe('Merkle tree hash (RFC 9162 §2.1.1)', () => {
  it('matches the naive recursion for every size 0..300, through the frontier and the proof tree', () => {
    let frontier = EMPTY_FRONTIER
    expect(frontierRoot(frontier).equals(EMPTY_ROOT)).toBe(true)
    for (let size = 1; size <= MAX; size++) {
      frontier = appendLeafHash({ frontier, leafHash: leaves[size - 1]! })
      expect(frontier.size).toBe(size)
      expect(frontierRoot(frontier).equals(roots[size]!)).toBe(true)
      expect(treeRoot({ tree, size }).equals(roots[size]!)).toBe(true)
    }
    expect(rootOf({ leafHashes: leaves, size: 7 }).equals(roots[7]!)).toBe(true)
  })

  it('keeps the frontier to one node per set bit and round-trips it', () => {
    for (const size of [0, 1, 2, 3, 255, 256, 257, 300]) {
      const frontier = frontierFromLeafHashes(leaves.slice(0, size))
      expect(frontier.nodes.length).toBe(size.toString(2).split('').filter((bit) => bit === '1').length)
      const restored = parseFrontier(serializeFrontier(frontier))
      expect(frontierRoot(restored).equals(roots[size]!)).toBe(true)
    }
    expect(() => parseFrontier({ size: 3, nodes: [] })).toThrow(/needs 2 nodes/)
    expect(() => parseFrontier({ size: -1, nodes: [] })).toThrow()
  })

  it('does not mutate the frontier it appends to', () => {
    const before = frontierFromLeafHashes(leaves.slice(0, 3))
    const snapshot = serializeFrontier(before)
    appendLeafHash({ frontier: before, leafHash: leaves[3]! })
    expect(serializeFrontier(before)).toEqual(snapshot)
  })
})

describe('inclusion proofs (RFC 9162 §2.1.3)', () => {
  it('equal the naive PATH and verify, for every leaf of sizes 1..64', () => {
    for (let size = 1; size <= 64; size++) {
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof({ tree, index, size })
        expect(proof).toEqual(naivePath(index, leaves.slice(0, size)))
        expect(verifyInclusion({ leafHash: leaves[index]!, index, size, proof, root: roots[size]! })).toBe(true)
      }
    }
  })

  it('agree with the naive PATH on random (index, size) up to 300, and any change breaks them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }).chain((size) => fc.tuple(fc.constant(size), fc.nat({ max: size - 1 }), fc.nat(), fc.nat())), ([size, index, pick, byte]) => {
        const proof = inclusionProof({ tree, index, size })
        expect(proof).toEqual(naivePath(index, leaves.slice(0, size)))
        const root = roots[size]!
        expect(verifyInclusion({ leafHash: leaves[index]!, index, size, proof, root })).toBe(true)
        // Wrong leaf, wrong index, wrong size, wrong root, altered, shortened or lengthened path.
        expect(verifyInclusion({ leafHash: flip(leaves[index]!, byte), index, size, proof, root })).toBe(false)
        if (size > 1) expect(verifyInclusion({ leafHash: leaves[index]!, index: (index + 1 + (pick % (size - 1))) % size, size, proof, root })).toBe(false)
        expect(verifyInclusion({ leafHash: leaves[index]!, index, size, proof, root: flip(root, byte) })).toBe(false)
        if (proof.length > 0) {
          const altered = proof.map((hash, position) => (position === pick % proof.length ? flip(hash, byte) : hash))
          expect(verifyInclusion({ leafHash: leaves[index]!, index, size, proof: altered, root })).toBe(false)
          expect(verifyInclusion({ leafHash: leaves[index]!, index, size, proof: proof.slice(0, -1), root })).toBe(false)
        }
        expect(verifyInclusion({ leafHash: leaves[index]!, index, size, proof: [...proof, leaves[0]!], root })).toBe(false)
        if (size < MAX) expect(verifyInclusion({ leafHash: leaves[index]!, index, size: size + 1, proof, root: roots[size + 1]! })).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses an index outside the tree and malformed hashes', () => {
    expect(rootFromInclusionProof({ leafHash: leaves[0]!, index: 1, size: 1, proof: [] })).toBeNull()
    expect(rootFromInclusionProof({ leafHash: leaves[0]!, index: -1, size: 2, proof: [leaves[1]!] })).toBeNull()
    expect(rootFromInclusionProof({ leafHash: leaves[0]!, index: 0, size: 2, proof: [Buffer.alloc(31)] })).toBeNull()
    expect(() => inclusionProof({ tree, index: 5, size: 5 })).toThrow(RangeError)
  })
})

describe('consistency proofs (RFC 9162 §2.1.4)', () => {
  it('equal the naive PROOF and verify, for every pair m ≤ n ≤ 40', () => {
    for (let n = 0; n <= 40; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof({ tree, from: m, to: n })
        expect(proof).toEqual(naiveConsistency(m, leaves.slice(0, n)))
        expect(verifyConsistency({ from: m, to: n, fromRoot: roots[m]!, toRoot: roots[n]!, proof })).toBe(true)
      }
    }
  })

  it('agree with the naive PROOF on random pairs up to 300, and any change breaks them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX }).chain((to) => fc.tuple(fc.nat({ max: to }), fc.constant(to), fc.nat(), fc.nat())), ([from, to, pick, byte]) => {
        const proof = consistencyProof({ tree, from, to })
        expect(proof).toEqual(naiveConsistency(from, leaves.slice(0, to)))
        const fromRoot = roots[from]!
        const toRoot = roots[to]!
        expect(verifyConsistency({ from, to, fromRoot, toRoot, proof })).toBe(true)
        expect(verifyConsistency({ from, to, fromRoot: flip(fromRoot, byte), toRoot, proof })).toBe(false)
        // The empty tree is a prefix of every tree: nothing binds toRoot when from = 0.
        if (from > 0) expect(verifyConsistency({ from, to, fromRoot, toRoot: flip(toRoot, byte), proof })).toBe(false)
        if (proof.length > 0) {
          const altered = proof.map((hash, position) => (position === pick % proof.length ? flip(hash, byte) : hash))
          expect(verifyConsistency({ from, to, fromRoot, toRoot, proof: altered })).toBe(false)
          expect(verifyConsistency({ from, to, fromRoot, toRoot, proof: proof.slice(1) })).toBe(false)
        }
        expect(verifyConsistency({ from, to, fromRoot, toRoot, proof: [...proof, leaves[0]!] })).toBe(false)
        if (from > 0 && from < to) {
          // A forked history: the old root of another tree of the same size.
          const forked = naiveRoot([...leaves.slice(0, from - 1), flip(leaves[from - 1]!, byte)])
          expect(verifyConsistency({ from, to, fromRoot: forked, toRoot, proof })).toBe(false)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('refuses from > to and a non-empty proof at the edges', () => {
    expect(verifyConsistency({ from: 3, to: 2, fromRoot: roots[3]!, toRoot: roots[2]!, proof: [] })).toBe(false)
    expect(verifyConsistency({ from: 0, to: 2, fromRoot: EMPTY_ROOT, toRoot: roots[2]!, proof: [leaves[0]!] })).toBe(false)
    expect(verifyConsistency({ from: 0, to: 2, fromRoot: roots[1]!, toRoot: roots[2]!, proof: [] })).toBe(false)
    expect(verifyConsistency({ from: 2, to: 2, fromRoot: roots[2]!, toRoot: roots[2]!, proof: [leaves[0]!] })).toBe(false)
    expect(() => consistencyProof({ tree, from: 3, to: 2 })).toThrow(RangeError)
  })
})

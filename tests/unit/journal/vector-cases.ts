import { createHash } from 'node:crypto'
import { canonicalJson, type JsonValue } from '#charter/canonical-json.ts'
import {
  LEAF_DOMAIN,
  buildProofTree,
  computeCommitment,
  consistencyProof,
  encodeLeaf,
  frontierFromLeafHashes,
  inclusionProof,
  leafHash,
  noteKeyId,
  serializeFrontier,
  treeRoot,
  type Leaf,
} from '#journal/index.ts'
import { CELLS, SAMPLE_KEY, SAMPLE_ORIGIN, buildSampleLog, sampleExport } from './sample-log.ts'

export const VECTOR_FORMAT = 'cellule-audit-vectors/v1'
export const SAMPLE_KEY_SEED = createHash('sha256').update('cellule-audit sample key').digest()

const hex = (buffers: readonly Buffer[]) => buffers.map((buffer) => buffer.toString('hex'))

/**
 * Every byte the formats define, from fixed inputs: leaf bytes and hashes, commitments,
 * roots, proofs, key id, signed checkpoints (Ed25519 is deterministic) and two exports.
 * Another implementation (the browser verifier, a DPO's own script) must reproduce them.
 */
export function generateAuditVectors() {
  const log = buildSampleLog()
  const leafHashes = log.leaves.map((leaf) => leafHash(leaf))
  const tree = buildProofTree(leafHashes)
  const pick = (index: number): Leaf => log.leaves[index]!
  const leafCases = [0, 3, 4, 8].map((index) => ({ index, leaf: pick(index), bytes: encodeLeaf(pick(index)).toString('utf8'), leafHash: leafHashes[index]!.toString('hex') }))
  const details: { salt: string; detail: JsonValue }[] = [
    { salt: '00'.repeat(16), detail: {} },
    { salt: '01'.repeat(32), detail: { actor: { userId: 'u-1', role: 'dpo' }, justification: 'Vérification demandée — « urgent »', n: -3, list: [true, null, 'é'] } },
  ]
  return {
    format: VECTOR_FORMAT,
    leafDomain: LEAF_DOMAIN,
    key: {
      seed: SAMPLE_KEY_SEED.toString('hex'),
      publicKey: SAMPLE_KEY.publicKeyRaw.toString('base64'),
      origin: SAMPLE_ORIGIN,
      keyId: noteKeyId({ origin: SAMPLE_ORIGIN, publicKey: SAMPLE_KEY.publicKey }).toString('hex'),
    },
    leaves: leafCases,
    commitments: details.map(({ salt, detail }) => ({ salt, detail, canonical: canonicalJson(detail), commitment: computeCommitment({ salt: Buffer.from(salt, 'hex'), detail }) })),
    tree: {
      leafHashes: hex(leafHashes),
      roots: [0, 1, 2, 3, 4, 5, 7, 8, 16, 17, 32, 33, 40].map((size) => ({ size, root: treeRoot({ tree, size }).toString('hex') })),
      frontier40: serializeFrontier(frontierFromLeafHashes(leafHashes)),
      inclusion: [
        [0, 1],
        [0, 8],
        [5, 8],
        [6, 7],
        [16, 17],
        [13, 40],
        [39, 40],
      ].map(([index, size]) => ({ index: index!, size: size!, path: hex(inclusionProof({ tree, index: index!, size: size! })) })),
      consistency: [
        [0, 40],
        [1, 2],
        [4, 8],
        [3, 7],
        [5, 17],
        [17, 32],
        [32, 40],
        [40, 40],
      ].map(([from, to]) => ({ from: from!, to: to!, proof: hex(consistencyProof({ tree, from: from!, to: to! })) })),
    },
    checkpoints: log.checkpoints,
    exports: { full: sampleExport({ log }), cell: sampleExport({ log, cellId: CELLS[1] }) },
  }
}

export type AuditVectors = ReturnType<typeof generateAuditVectors>

export function serializeVectors(vectors: AuditVectors): string {
  return `${JSON.stringify(vectors, null, 2)}\n`
}

/** Tamper-evident audit log core: formats, Merkle tree, proofs, checkpoints, sequencing, export verification. */
export { canonicalJson, type JsonValue } from './canonical.ts'
export { EMPTY_ROOT, EMPTY_FRONTIER, appendLeafHash, frontierRoot, frontierFromLeafHashes, rootOf, serializeFrontier, parseFrontier, type Frontier, type SerializedFrontier } from './merkle.ts'
export {
  LEAF_DOMAIN,
  LEAF_VERSION,
  auditActionSchema,
  auditOutcomeSchema,
  leafSchema,
  encodeLeaf,
  leafHash,
  newSalt,
  computeCommitment,
  checkCommitment,
  type AuditAction,
  type AuditOutcome,
  type Leaf,
} from './leaf.ts'
export { buildProofTree, treeRoot, inclusionProof, consistencyProof, verifyInclusion, verifyConsistency, rootFromInclusionProof, type ProofTree } from './proofs.ts'
export { logOrigin, isOrigin, noteKeyId, checkpointBody, signCheckpoint, parseCheckpoint, verifyCheckpoint, type Checkpoint, type ParsedCheckpoint } from './checkpoint.ts'
export { loadOrCreateSigningKey, generateSigningKey, signingKeyFromPem, signingKeyFromSeed, signingKeyToPem, publicKeyFromRaw, publicKeyFromBase64, rawPublicKey, type SigningKey } from './keys.ts'
export { EMPTY_LOG_STATE, queuedEventSchema, sequenceBatch, type CellHead, type LogState, type QueuedEvent, type SequencedLeaf, type SequenceResult } from './sequencer.ts'
export { EXPORT_FORMAT, EXPORT_VERSION, buildExport, type AuditExport, type DetailRecord } from './export.ts'
export { verifyExport, type VerifyResult, type VerifySuccess, type VerifyFailure } from './verify.ts'
export { verifyExportText } from './verify-text.ts'
export { findDuplicateKey, type DuplicateKey, type JsonPath } from './duplicate-key.ts'

import { sql } from 'drizzle-orm'
import { parseCheckpoint } from '#journal/checkpoint.ts'
import { EXPORT_FORMAT, EXPORT_VERSION, type AuditExport, type DetailRecord } from '#journal/export.ts'
import { rawPublicKey, type SigningKey } from '#journal/keys.ts'
import { LEAF_VERSION, type Leaf } from '#journal/leaf.ts'
import { buildProofTree, consistencyProof, inclusionProof } from '#journal/proofs.ts'
import { type JsonValue } from '#charter/canonical-json.ts'
import { type Database } from '../database.ts'
import { selectCheckpoints } from './checkpoints.ts'
import { loadProofTree } from './proof-source.ts'
import { queryRows, toSafeNumber } from './rows.ts'

export class ExportUnavailableError extends Error {
  override name = 'ExportUnavailableError'
}

type LeafRow = {
  leaf_index: unknown
  event_id: string
  occurred_at_ms: unknown
  cell_id: string | null
  cell_seq: unknown
  prev_cell_leaf_hash: string | null
  action: string
  outcome: string
  commitment: string
  leaf_hash: string
  salt: string | null
  detail: JsonValue | null
}

function toLeaf(row: LeafRow): Leaf {
  return {
    v: LEAF_VERSION,
    eventId: row.event_id,
    occurredAtMs: toSafeNumber(row.occurred_at_ms),
    cellId: row.cell_id,
    cellSeq: row.cell_seq === null ? null : toSafeNumber(row.cell_seq),
    prevCellLeafHash: row.prev_cell_leaf_hash,
    action: row.action as Leaf['action'],
    outcome: row.outcome as Leaf['outcome'],
    commitment: row.commitment,
  }
}

const hex = (hashes: readonly Buffer[]) => hashes.map((hash) => hash.toString('hex'))

/**
 * An export in the verifier's format (journal/README.md), read from the database: every
 * leaf up to the latest checkpoint (full scope) or one cell's leaves with inclusion proofs
 * (cell scope), the checkpoints with consistency proofs between them, and the unpurged
 * details of the exported events unless `includeDetails` is false. Proofs come from the
 * stored hashes; nothing is re-signed here: the checkpoints are the signatures.
 */
export async function exportAuditLog(
  db: Database,
  { key, origin, cellId, sinceSize, includeDetails = true, checkpointCount = 8 }: { key: SigningKey; origin: string; cellId?: string; sinceSize?: number; includeDetails?: boolean; checkpointCount?: number },
): Promise<AuditExport> {
  const checkpoints = await selectCheckpoints(db, { signer: { key, origin }, count: checkpointCount, sinceSize })
  const last = checkpoints[checkpoints.length - 1]
  if (!last) throw new ExportUnavailableError('Aucun checkpoint signé pour l’instant : réessayez dans quelques secondes. / No signed checkpoint yet.')
  for (const checkpoint of checkpoints) {
    const parsed = parseCheckpoint(checkpoint.note)
    if (!parsed.ok || parsed.checkpoint.origin !== origin) throw new ExportUnavailableError(`checkpoint ${checkpoint.treeSize} d’une autre origine / from another origin`)
  }
  const size = last.treeSize
  const rows = await queryRows<LeafRow>(
    db,
    sql`select l.leaf_index, l.event_id, q.occurred_at_ms, l.cell_id, l.cell_seq, l.prev_cell_leaf_hash, q.action, q.outcome, q.commitment, l.leaf_hash,
               ${includeDetails ? sql`d.salt, d.detail` : sql`null as salt, null as detail`}
        from audit_leaves l
        join audit_queue q on q.event_id = l.event_id
        left join audit_details d on d.event_id = l.event_id
        where l.leaf_index < ${size} ${cellId ? sql`and l.cell_id = ${cellId}` : sql``}
        order by l.leaf_index`,
  )
  const leaves = rows.map((row) => ({ index: toSafeNumber(row.leaf_index), leaf: toLeaf(row) }))
  const details: DetailRecord[] = rows.flatMap((row) => (row.salt !== null && row.detail !== null ? [{ eventId: row.event_id, salt: row.salt, detail: row.detail }] : []))
  const sizes = checkpoints.map((checkpoint) => checkpoint.treeSize)
  const base = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    origin,
    publicKey: rawPublicKey(key.publicKey).toString('base64'),
    checkpoints: checkpoints.map((checkpoint) => checkpoint.note),
    leaves,
    ...(details.length > 0 ? { details } : {}),
  } as const
  if (!cellId) {
    if (leaves.length !== size) throw new ExportUnavailableError(`${leaves.length} feuilles pour un checkpoint de ${size} / leaves missing`)
    const tree = buildProofTree(rows.map((row) => Buffer.from(row.leaf_hash, 'hex')))
    const consistency = sizes.slice(1).map((to, i) => ({ from: sizes[i]!, to, proof: hex(consistencyProof({ tree, from: sizes[i]!, to })) }))
    return { ...base, scope: { kind: 'full' }, proofs: { consistency } }
  }
  const tree = await loadProofTree(db, { size, leafIndices: leaves.map((entry) => entry.index), boundarySizes: sizes })
  const consistency = sizes.slice(1).map((to, i) => ({ from: sizes[i]!, to, proof: hex(consistencyProof({ tree, from: sizes[i]!, to })) }))
  const inclusion = leaves.map(({ index }) => ({ index, treeSize: size, path: hex(inclusionProof({ tree, index, size })) }))
  return { ...base, scope: { kind: 'cell', cellId, firstCellSeq: leaves[0]?.leaf.cellSeq ?? 1 }, proofs: { inclusion, consistency } }
}

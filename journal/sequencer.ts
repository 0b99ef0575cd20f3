import { z } from 'zod'
import { auditActionSchema, auditOutcomeSchema } from './actions.ts'
import { LEAF_VERSION, encodeParsedLeaf, hash32HexSchema, hashLeafBytes, uuidSchema, type Leaf } from './leaf.ts'
import { EMPTY_FRONTIER, appendLeafHash, frontierRoot, type Frontier } from './merkle.ts'

/** What the write path queues: everything of the leaf except what only the sequencer may assign. */
export const queuedEventSchema = z
  .object({
    eventId: uuidSchema,
    occurredAtMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    cellId: uuidSchema.nullable(),
    action: auditActionSchema,
    outcome: auditOutcomeSchema,
    commitment: hash32HexSchema,
  })
  .strict()
export type QueuedEvent = z.infer<typeof queuedEventSchema>

export type CellHead = { readonly lastSeq: number; readonly lastLeafHash: string }
/** Tree size is frontier.size; `cells` holds every cell that has at least one leaf. */
export type LogState = { readonly frontier: Frontier; readonly cells: ReadonlyMap<string, CellHead> }
export const EMPTY_LOG_STATE: LogState = { frontier: EMPTY_FRONTIER, cells: new Map() }

export type SequencedLeaf = { readonly index: number; readonly leaf: Leaf; readonly leafHash: Buffer }
export type SequenceResult = {
  readonly leaves: readonly SequencedLeaf[]
  readonly state: LogState
  readonly root: Buffer
  /** Heads of the cells this batch touched, for the database's per-cell upsert. */
  readonly changedCells: ReadonlyMap<string, CellHead>
}

/**
 * Integrates an ordered batch: leaf indices continue the tree, each cell's sequence stays
 * dense and chained to its previous leaf. Pure: the input state is left untouched, so the
 * caller commits the result (leaves, frontier, heads) in one transaction or not at all.
 * Duplicate event ids inside the batch are refused; across batches the database's unique
 * key on event_id is the guard.
 */
export function sequenceBatch({ state, events }: { state: LogState; events: readonly QueuedEvent[] }): SequenceResult {
  let frontier = state.frontier
  const cells = new Map(state.cells)
  const changedCells = new Map<string, CellHead>()
  const seen = new Set<string>()
  const leaves: SequencedLeaf[] = []
  for (const candidate of events) {
    const event = queuedEventSchema.parse(candidate)
    if (seen.has(event.eventId)) throw new Error(`événement en double dans le lot / duplicate event in batch: ${event.eventId}`)
    seen.add(event.eventId)
    const head = event.cellId === null ? undefined : cells.get(event.cellId)
    const leaf: Leaf = {
      v: LEAF_VERSION,
      eventId: event.eventId,
      occurredAtMs: event.occurredAtMs,
      cellId: event.cellId,
      cellSeq: event.cellId === null ? null : (head?.lastSeq ?? 0) + 1,
      prevCellLeafHash: head?.lastLeafHash ?? null,
      action: event.action,
      outcome: event.outcome,
      commitment: event.commitment,
    }
    // Built field by field from a parsed event: valid by construction, so hashed without a second parse.
    const hash = hashLeafBytes(encodeParsedLeaf(leaf))
    leaves.push({ index: frontier.size, leaf, leafHash: hash })
    frontier = appendLeafHash({ frontier, leafHash: hash })
    if (event.cellId !== null && leaf.cellSeq !== null) {
      const next = { lastSeq: leaf.cellSeq, lastLeafHash: hash.toString('hex') }
      cells.set(event.cellId, next)
      changedCells.set(event.cellId, next)
    }
  }
  return { leaves, state: { frontier, cells }, root: frontierRoot(frontier), changedCells }
}

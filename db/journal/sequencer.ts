import { sql } from 'drizzle-orm'
import { frontierRoot, parseFrontier, rootOf, serializeFrontier, EMPTY_FRONTIER, type Frontier } from '#journal/merkle.ts'
import { sequenceBatch, type CellHead, type QueuedEvent } from '#journal/sequencer.ts'
import { type Database } from '../database.ts'
import { auditLogStates, auditTiles } from '../schema.ts'
import { queryRows, toSafeNumber } from './rows.ts'

/** Leaves per tile: complete, aligned subtrees of 2^8 leaves (tlog-tiles shape). */
export const TILE_WIDTH = 256
/** Any constant: the sequencer's advisory lock, so only one process integrates at a time. */
export const SEQUENCER_LOCK_KEY = 0x63656c6c // 'cell'

/**
 * A PostgreSQL array literal of simple values (decimal numbers, UUIDs, lower-case hex, or null),
 * passed as one text parameter: the same on node-postgres and PGlite.
 */
function pgArray(values: readonly (string | null)[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : value)).join(',')}}`
}

export type LogHead = { treeSize: number; frontier: Frontier; root: Buffer; cursorXid: string; cursorId: number }

export async function readLogHead(db: Pick<Database, 'execute'>): Promise<LogHead> {
  const [row] = await queryRows<{ tree_size: unknown; frontier: { size: number; nodes: string[] }; cursor_xid_text: string; cursor_id: unknown }>(
    db,
    sql`select tree_size, frontier, cursor_xid::text as cursor_xid_text, cursor_id from audit_log_states order by audit_log_states.tree_size desc limit 1`,
  )
  if (!row) return { treeSize: 0, frontier: EMPTY_FRONTIER, root: frontierRoot(EMPTY_FRONTIER), cursorXid: '0', cursorId: 0 }
  const frontier = parseFrontier(row.frontier)
  return { treeSize: toSafeNumber(row.tree_size), frontier, root: frontierRoot(frontier), cursorXid: row.cursor_xid_text, cursorId: toSafeNumber(row.cursor_id) }
}

export type SequencerRun = { sequenced: number; treeSize: number; locked: boolean }

/**
 * Integrates one batch of finished transactions' events into the log, all in one transaction:
 * leaves (dense index, dense per-cell sequence chained to the previous leaf of the cell), the
 * completed 256-leaf tiles, and the new log state with its cursor. Only rows whose transaction
 * id is below the snapshot's xmin are read: every transaction with a smaller id has finished, and
 * one that has not written yet will get a larger id, so nothing can appear behind the cursor.
 * Another process holding the lock makes this a no-op (`locked: false`).
 */
export async function sequencePending(db: Database, { limit = 5_000 }: { limit?: number } = {}): Promise<SequencerRun> {
  return db.transaction(async (tx) => {
    const [lock] = await queryRows<{ locked: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${SEQUENCER_LOCK_KEY}) as locked`)
    if (!lock?.locked) return { sequenced: 0, treeSize: -1, locked: false }
    const head = await readLogHead(tx)
    const queued = await queryRows<{ id: unknown; xid_text: string; event_id: string; occurred_at_ms: unknown; cell_id: string | null; action: string; outcome: string; commitment: string }>(
      tx,
      sql`select id, xid::text as xid_text, event_id, occurred_at_ms, cell_id, action, outcome, commitment
          from audit_queue
          where (xid, id) > (${head.cursorXid}::xid8, ${head.cursorId})
            and xid < pg_snapshot_xmin(pg_current_snapshot())
          order by audit_queue.xid, audit_queue.id
          limit ${limit}`,
    )
    if (queued.length === 0) return { sequenced: 0, treeSize: head.treeSize, locked: true }
    const events: QueuedEvent[] = queued.map((row) => ({
      eventId: row.event_id,
      occurredAtMs: toSafeNumber(row.occurred_at_ms),
      cellId: row.cell_id,
      action: row.action as QueuedEvent['action'],
      outcome: row.outcome as QueuedEvent['outcome'],
      commitment: row.commitment,
    }))
    const cellIds = [...new Set(events.flatMap((event) => (event.cellId ? [event.cellId] : [])))]
    const cells = new Map<string, CellHead>()
    if (cellIds.length > 0) {
      const heads = await queryRows<{ cell_id: string; cell_seq: unknown; leaf_hash: string }>(
        tx,
        sql`select distinct on (cell_id) cell_id, cell_seq, leaf_hash from audit_leaves
            where cell_id in (${sql.join(cellIds.map((id) => sql`${id}::uuid`), sql`, `)})
            order by cell_id, cell_seq desc`,
      )
      for (const row of heads) cells.set(row.cell_id, { lastSeq: toSafeNumber(row.cell_seq), lastLeafHash: row.leaf_hash })
    }
    const result = sequenceBatch({ state: { frontier: head.frontier, cells }, events })
    // One statement with six array parameters, whatever the batch size (cheaper than a VALUES list).
    const leaves = result.leaves
    await tx.execute(sql`
      insert into audit_leaves (leaf_index, event_id, cell_id, cell_seq, prev_cell_leaf_hash, leaf_hash)
      select * from unnest(
        ${pgArray(leaves.map(({ index }) => String(index)))}::bigint[],
        ${pgArray(leaves.map(({ leaf }) => leaf.eventId))}::uuid[],
        ${pgArray(leaves.map(({ leaf }) => leaf.cellId))}::uuid[],
        ${pgArray(leaves.map(({ leaf }) => (leaf.cellSeq === null ? null : String(leaf.cellSeq))))}::bigint[],
        ${pgArray(leaves.map(({ leaf }) => leaf.prevCellLeafHash))}::text[],
        ${pgArray(leaves.map(({ leafHash }) => leafHash.toString('hex')))}::text[])`)
    // Tiles completed by this batch: their leaves are now all in the table.
    const newSize = result.state.frontier.size
    const firstTile = Math.floor(head.treeSize / TILE_WIDTH)
    const completeTiles = Math.floor(newSize / TILE_WIDTH)
    for (let tile = firstTile; tile < completeTiles; tile++) {
      const hashes = await queryRows<{ leaf_hash: string }>(
        tx,
        sql`select leaf_hash from audit_leaves where leaf_index >= ${tile * TILE_WIDTH} and leaf_index < ${(tile + 1) * TILE_WIDTH} order by leaf_index`,
      )
      if (hashes.length !== TILE_WIDTH) throw new Error(`tile ${tile}: ${hashes.length} leaves instead of ${TILE_WIDTH}`)
      await tx.insert(auditTiles).values({ tileIndex: tile, hash: rootOf({ leafHashes: hashes.map((row) => Buffer.from(row.leaf_hash, 'hex')) }).toString('hex') })
    }
    const last = queued[queued.length - 1]!
    await tx.insert(auditLogStates).values({
      treeSize: newSize,
      frontier: serializeFrontier(result.state.frontier),
      root: result.root.toString('hex'),
      cursorXid: last.xid_text,
      cursorId: toSafeNumber(last.id),
    })
    return { sequenced: result.leaves.length, treeSize: newSize, locked: true }
  })
}

/** The oldest committed event not sealed yet (a row beyond the cursor that this snapshot sees), or null. */
export async function oldestPendingEvent(db: Pick<Database, 'execute'>): Promise<{ occurredAtMs: number } | null> {
  const head = await readLogHead(db)
  const [row] = await queryRows<{ occurred_at_ms: unknown }>(
    db,
    sql`select occurred_at_ms from audit_queue where (xid, id) > (${head.cursorXid}::xid8, ${head.cursorId}) order by xid, id limit 1`,
  )
  return row ? { occurredAtMs: toSafeNumber(row.occurred_at_ms) } : null
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Seals every event committed before the call (tests, exports, shutdown). The horizon is the
 * cluster's oldest running transaction, so a transaction open elsewhere (another database of the
 * same server included) holds it back: this waits for it, up to `timeoutMs`, and returns how
 * many events it sealed.
 */
export async function sequenceAll(db: Database, { timeoutMs = 15_000 }: { timeoutMs?: number } = {}): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let total = 0
  for (;;) {
    const run = await sequencePending(db)
    total += run.sequenced
    if (run.locked && run.sequenced > 0) continue
    if ((await oldestPendingEvent(db)) === null || Date.now() > deadline) return total
    await sleep(20)
  }
}

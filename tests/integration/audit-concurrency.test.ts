import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logOrigin } from '#journal/checkpoint.ts'
import { generateSigningKey } from '#journal/keys.ts'
import { verifyExport } from '#journal/verify.ts'
import { exportAuditLog, recordAudit, readLogHead, sequenceAll, sequencePending, signCheckpointIfGrown } from '#db/journal/index.ts'
import { queryRows, toSafeNumber } from '#db/journal/rows.ts'
import { SEQUENCER_LOCK_KEY } from '#db/journal/sequencer.ts'
import { type DatabaseHandle } from '#db/database.ts'
import { runMigrations } from '#db/migrate.ts'
import { openDatabase } from '#db/open.ts'
import { createServerDatabase, serverUrl } from '../support/test-database.ts'

/**
 * The write path under load on a real server (DESIGN §11): many transactions appending events
 * while two sequencers and a checkpoint signer run, some transactions rolling back. PGlite has
 * one connection, so there is no concurrency to test there.
 */

const WRITERS = 32
const DURATION_MS = Number(process.env.AUDIT_CONCURRENCY_SECONDS ?? 15) * 1000
const ROLLBACK_RATE = 0.1
const CELLS = Array.from({ length: 8 }, () => randomUUID())
const signer = { key: generateSigningKey(), origin: logOrigin('concurrency.cellule.test') }

class IntendedRollback extends Error {}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!

let handle: DatabaseHandle
let drop: () => Promise<void>

describe.skipIf(!serverUrl)('audit log under concurrent writers (PostgreSQL only: skipped without DATABASE_URL, PGlite has a single connection)', () => {
  beforeAll(async () => {
    const server = await createServerDatabase()
    drop = server.drop
    // 32 writers + 2 sequencers + the checkpoint signer, with room to spare.
    handle = await openDatabase({ kind: 'postgres', databaseUrl: server.url, maxConnections: 40 })
    await runMigrations(handle)
  })
  afterAll(async () => {
    await handle?.close()
    await drop?.()
  })

  it('integrates every committed event exactly once, no rolled-back one, in a dense chained log that verifies', async () => {
    const db = handle.db
    const committed: string[] = []
    const rolledBack: string[] = []
    const failures: unknown[] = []
    let committedTransactions = 0
    let stopped = false

    const writer = async () => {
      while (!stopped) {
        const ids: string[] = []
        const rollback = Math.random() < ROLLBACK_RATE
        try {
          await db.transaction(async (tx) => {
            const count = 1 + Math.floor(Math.random() * 3)
            for (let i = 0; i < count; i++) {
              const cellId = Math.random() < 0.15 ? null : pick(CELLS)
              ids.push(
                await recordAudit(
                  tx,
                  cellId ? { type: pick(['cell.members.read', 'cell.read', 'cell.roster.read'] as const), outcome: 'success', resource: `cell:${cellId}:members` } : { type: 'auth.login', outcome: 'success', data: {} },
                  { cellId, actorUserId: randomUUID() },
                ),
              )
            }
            await sleep(Math.random() * 20)
            if (rollback) throw new IntendedRollback()
          })
          committed.push(...ids)
          committedTransactions++
        } catch (error) {
          if (error instanceof IntendedRollback) rolledBack.push(...ids)
          else {
            failures.push(error)
            return
          }
        }
      }
    }

    const sequencerRuns = [
      { sequenced: 0, runs: 0, lockedOut: 0 },
      { sequenced: 0, runs: 0, lockedOut: 0 },
    ]
    const sequencer = async (stats: (typeof sequencerRuns)[number], offsetMs: number) => {
      await sleep(offsetMs)
      while (!stopped) {
        try {
          const run = await sequencePending(db)
          stats.runs++
          stats.sequenced += run.sequenced
          if (!run.locked) stats.lockedOut++
        } catch (error) {
          failures.push(error)
          return
        }
        await sleep(100)
      }
    }

    let checkpointsSigned = 0
    const checkpointer = async () => {
      while (!stopped) {
        await sleep(1_000)
        try {
          if ((await signCheckpointIfGrown(db, signer)).signed) checkpointsSigned++
        } catch (error) {
          failures.push(error)
          return
        }
      }
    }

    const started = performance.now()
    const tasks = [...Array.from({ length: WRITERS }, writer), sequencer(sequencerRuns[0]!, 0), sequencer(sequencerRuns[1]!, 50), checkpointer()]
    await sleep(DURATION_MS)
    stopped = true
    await Promise.all(tasks)
    const elapsedSeconds = (performance.now() - started) / 1000
    expect(failures).toEqual([])

    // sequenceAll stops at the horizon, which a write transaction in another database (a parallel
    // test file) can hold back: drain until every committed event is in.
    let drained = 0
    const deadline = Date.now() + 30_000
    while ((await readLogHead(db)).treeSize < committed.length && Date.now() < deadline) {
      drained += await sequenceAll(db)
      await sleep(50)
    }
    await signCheckpointIfGrown(db, signer)
    const sequencedInLoops = sequencerRuns[0]!.sequenced + sequencerRuns[1]!.sequenced
    // Two loops, one lock: their counts add up to the log, never more (no event integrated twice).
    expect(sequencedInLoops + drained).toBe(committed.length)
    expect(committed.length).toBeGreaterThan(WRITERS)
    expect(rolledBack.length).toBeGreaterThan(0)

    // A sequencer that finds the lock taken does nothing.
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK_KEY})`)
      expect(await sequencePending(db)).toEqual({ sequenced: 0, treeSize: -1, locked: false })
    })

    const leaves = await queryRows<{ leaf_index: unknown; event_id: string; cell_id: string | null; cell_seq: unknown; prev_cell_leaf_hash: string | null; leaf_hash: string }>(
      db,
      sql`select leaf_index, event_id, cell_id, cell_seq, prev_cell_leaf_hash, leaf_hash from audit_leaves order by leaf_index`,
    )
    expect(leaves).toHaveLength(committed.length)
    expect(leaves.map((leaf) => toSafeNumber(leaf.leaf_index))).toEqual(leaves.map((_, index) => index))
    const leafEventIds = new Set(leaves.map((leaf) => leaf.event_id))
    expect(leafEventIds.size).toBe(leaves.length)
    expect(committed.filter((id) => !leafEventIds.has(id))).toEqual([])

    const rolledBackArray = sql`${`{${rolledBack.join(',')}}`}::uuid[]`
    const [leftovers] = await queryRows<{ queue: unknown; leaves: unknown; details: unknown }>(
      db,
      sql`select (select count(*) from audit_queue where event_id = any(${rolledBackArray})) as queue,
                 (select count(*) from audit_leaves where event_id = any(${rolledBackArray})) as leaves,
                 (select count(*) from audit_details where event_id = any(${rolledBackArray})) as details`,
    )
    expect(leftovers).toEqual({ queue: '0', leaves: '0', details: '0' })
    const [queued] = await queryRows<{ n: unknown }>(db, sql`select count(*) as n from audit_queue`)
    expect(toSafeNumber(queued!.n)).toBe(committed.length)

    // Per cell: 1, 2, 3… each leaf chained to the previous leaf of its cell; platform leaves unchained.
    const heads = new Map<string, { seq: number; hash: string }>()
    for (const leaf of leaves) {
      if (leaf.cell_id === null) {
        expect([leaf.cell_seq, leaf.prev_cell_leaf_hash]).toEqual([null, null])
        continue
      }
      const head = heads.get(leaf.cell_id)
      expect(toSafeNumber(leaf.cell_seq)).toBe((head?.seq ?? 0) + 1)
      expect(leaf.prev_cell_leaf_hash).toBe(head?.hash ?? null)
      heads.set(leaf.cell_id, { seq: toSafeNumber(leaf.cell_seq), hash: leaf.leaf_hash })
    }
    expect([...heads.keys()].sort()).toEqual([...CELLS].sort())

    const full = await exportAuditLog(db, signer)
    expect(full.leaves).toHaveLength(committed.length)
    expect(verifyExport({ file: JSON.parse(JSON.stringify(full)), trustedPublicKey: signer.key.publicKey })).toMatchObject({ ok: true, entries: committed.length })
    const cellId = CELLS[0]!
    const cell = await exportAuditLog(db, { ...signer, cellId })
    expect(cell.leaves).toHaveLength(heads.get(cellId)!.seq)
    expect(verifyExport({ file: JSON.parse(JSON.stringify(cell)), trustedPublicKey: signer.key.publicKey })).toMatchObject({ ok: true })

    process.stdout.write(
      `audit concurrency: ${committed.length} events committed in ${committedTransactions} tx, ${rolledBack.length} rolled back, ` +
        `${sequencedInLoops} sequenced by the loops (${sequencerRuns[0]!.lockedOut + sequencerRuns[1]!.lockedOut} runs locked out) + ${drained} at the end, ` +
        `${checkpointsSigned} checkpoints, ${Math.round(committedTransactions / elapsedSeconds)} tx/s over ${elapsedSeconds.toFixed(1)} s\n`,
    )
  })
})

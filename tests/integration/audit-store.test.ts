import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey } from '#journal/keys.ts'
import { logOrigin } from '#journal/checkpoint.ts'
import { verifyExport } from '#journal/verify.ts'
import { exportAuditLog, recordAudit, purgeExpiredDetails, sequenceAll, signCheckpointIfGrown, TILE_WIDTH } from '#db/journal/index.ts'
import { queryRows } from '#db/journal/rows.ts'
import { insertCell } from '#db/cells.ts'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts'

let database: TestDatabase
const signer = { key: generateSigningKey(), origin: logOrigin('test.cellule.local') }
const cellA = randomUUID()
const cellB = randomUUID()
const actor = randomUUID()

beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => {
  await database.cleanup()
})

async function write(count: number, cellId: string | null, now?: number) {
  for (let i = 0; i < count; i++) {
    await recordAudit(database.handle.db, cellId ? { type: 'cell.members.read', outcome: 'success', resource: `cell:${cellId}:members` } : { type: 'auth.login', outcome: 'success', data: {} }, { cellId, actorUserId: actor, ...(now ? { occurredAtMs: now } : {}) })
  }
}

describe('audit store on ' + (process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'), () => {
  it('sequences committed events into a dense log, tiles included, and exports what the verifier accepts', async () => {
    const db = database.handle.db
    await write(300, cellA)
    await write(20, cellB)
    await write(5, null)
    expect(await sequenceAll(db)).toBe(325)
    const first = await signCheckpointIfGrown(db, signer)
    expect(first).toEqual({ signed: true, treeSize: 325 })
    const tiles = await queryRows<{ n: number | string }>(db, sql`select count(*) as n from audit_tiles`)
    expect(Number(tiles[0]!.n)).toBe(Math.floor(325 / TILE_WIDTH))
    await write(200, cellB)
    await sequenceAll(db)
    expect((await signCheckpointIfGrown(db, signer)).treeSize).toBe(525)
    expect((await signCheckpointIfGrown(db, signer)).signed).toBe(false)

    const full = await exportAuditLog(db, signer)
    expect(full.leaves).toHaveLength(525)
    const fullResult = verifyExport({ file: JSON.parse(JSON.stringify(full)), trustedPublicKey: signer.key.publicKey })
    expect(fullResult).toMatchObject({ ok: true })

    const cell = await exportAuditLog(db, { ...signer, cellId: cellB })
    expect(cell.leaves).toHaveLength(220)
    expect(cell.leaves.map((entry) => entry.leaf.cellSeq)).toEqual(Array.from({ length: 220 }, (_, i) => i + 1))
    expect(verifyExport({ file: JSON.parse(JSON.stringify(cell)), trustedPublicKey: signer.key.publicKey })).toMatchObject({ ok: true })

    // A tampered leaf in the export is caught.
    const tampered = JSON.parse(JSON.stringify(cell))
    tampered.leaves[5].leaf.action = 'cell.roster.read'
    expect(verifyExport({ file: tampered, trustedPublicKey: signer.key.publicKey })).toMatchObject({ ok: false })
  })

  it('rolled-back events never enter the log', async () => {
    const db = database.handle.db
    const before = await sequenceAll(db)
    expect(before).toBe(0)
    await expect(
      db.transaction(async (tx) => {
        await recordAudit(tx, { type: 'cell.read', outcome: 'success' }, { cellId: cellA, actorUserId: actor })
        throw new Error('rollback')
      }),
    ).rejects.toThrow('rollback')
    await write(1, cellA)
    expect(await sequenceAll(db)).toBe(1)
  })

  it('refuses UPDATE, DELETE and TRUNCATE on every audit table', async () => {
    const db = database.handle.db
    for (const statement of ['update audit_queue set action = $$x$$', 'delete from audit_leaves', 'update audit_details set detail = $${}$$', 'truncate audit_checkpoints', 'delete from audit_log_states', 'delete from audit_details']) {
      await expect(db.execute(sql.raw(statement)), statement).rejects.toThrow()
    }
  })

  it('purges details older than the retention, audits the purge, and the log still verifies', async () => {
    const db = database.handle.db
    const now = Date.now()
    const old = now - 400 * 24 * 3600 * 1000
    await write(3, cellA, old)
    await sequenceAll(db)
    await expect(purgeExpiredDetails(db, { months: 5 })).rejects.toThrow(/6/)
    const result = await purgeExpiredDetails(db, { months: 12 })
    expect(result.purged).toBe(3)
    expect(result.eventIds).toHaveLength(1)
    // The database refuses a retention under six months whatever the caller says.
    await expect(db.execute(sql`select * from audit_purge_details(1, null)`)).rejects.toThrow()
    await sequenceAll(db)
    await signCheckpointIfGrown(db, signer)
    const full = await exportAuditLog(db, signer)
    const purgeLeaf = full.leaves.find((entry) => entry.leaf.eventId === result.eventIds[0])
    expect(purgeLeaf?.leaf.action).toBe('audit.details.purged')
    const verified = verifyExport({ file: JSON.parse(JSON.stringify(full)), trustedPublicKey: signer.key.publicKey })
    expect(verified).toMatchObject({ ok: true })
    expect((full.details ?? []).length).toBe(full.leaves.length - 3)
  })

  it('purges a cell whose charter keeps details 6 months with its own retention, and journals it in the cell', async () => {
    const db = database.handle.db
    const charter = { ...DEFAULT_CHARTER, rules: { ...DEFAULT_CHARTER.rules, auditDetailRetentionMonths: 6 } }
    const strict = await insertCell(db, { slug: `courte-${randomUUID().slice(0, 8)}`, name: 'Cellule à conservation courte', communes: [], hostInstitution: 'Test', dpoContact: 'dpo@test.fr', createdBy: null, charter, charterHash: 'e'.repeat(64) })
    const sevenMonthsAgo = Date.now() - 214 * 24 * 3600 * 1000
    await write(2, strict.id, sevenMonthsAgo)
    await write(2, cellB, sevenMonthsAgo)
    const result = await purgeExpiredDetails(db, { months: 12 })
    expect(result.purged).toBe(2)
    const remaining = await queryRows<{ cell_id: string; n: unknown }>(db, sql`select cell_id, count(*) as n from audit_details where occurred_at_ms = ${sevenMonthsAgo} group by cell_id`)
    expect(remaining.map(row => [row.cell_id, Number(row.n)])).toEqual([[cellB, 2]])
    await sequenceAll(db)
    const [event] = await queryRows<{ cell_id: string | null; action: string }>(db, sql`select cell_id, action from audit_queue where event_id = ${result.eventIds[0]!}`)
    expect(event).toEqual({ cell_id: strict.id, action: 'audit.details.purged' })
  })
})

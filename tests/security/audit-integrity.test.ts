import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logOrigin } from '#journal/checkpoint.ts'
import { generateSigningKey } from '#journal/keys.ts'
import { computeCommitment, leafHash, newSalt, type Leaf } from '#journal/leaf.ts'
import { exportAuditLog, recordAudit, purgeExpiredDetails, readLogHead, sequenceAll, signCheckpointIfGrown } from '#db/journal/index.ts'
import { verifyExport } from '#journal/verify.ts'
import { queryRows } from '#db/journal/rows.ts'
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '#tests/support/test-database.ts'

/**
 * Whoever can INSERT into the audit tables (the app role on a server; anyone on PGlite) can only
 * append what the sequencer would append (migration 0005). Each attack below is refused by the
 * database, and the honest sequencer still works afterwards.
 */
let database: TestDatabase
const signer = { key: generateSigningKey(), origin: logOrigin('integrity.cellule.local') }
const cellId = randomUUID()
const actor = randomUUID()

async function write(count: number, now?: number) {
  const ids: string[] = []
  for (let i = 0; i < count; i++) ids.push(await recordAudit(database.handle.db, { type: 'cell.members.read', outcome: 'success', resource: 'members' }, { cellId, actorUserId: actor, ...(now ? { occurredAtMs: now } : {}) }))
  return ids
}

/**
 * On a shared server, transactions of other test files hold the horizon back for a moment: wait
 * until these events are below it, so each forged insert is refused for the reason under test.
 */
async function waitBelowHorizon(eventIds: string[]) {
  const deadline = Date.now() + 20_000
  for (;;) {
    const [row] = await queryRows<{ below: boolean }>(
      database.handle.db,
      sql`select bool_and(xid < pg_snapshot_xmin(pg_current_snapshot())) as below from audit_queue where event_id in (${sql.join(eventIds.map(id => sql`${id}::uuid`), sql`, `)})`,
    )
    if (row?.below || Date.now() > deadline) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** The error PostgreSQL raised, whatever wraps it (drizzle, PGlite). */
async function refusal(statement: ReturnType<typeof sql>): Promise<string> {
  try {
    await database.handle.db.execute(statement)
  } catch (error) {
    let current: unknown = error
    const messages: string[] = []
    while (current instanceof Error) {
      messages.push(current.message)
      current = (current as Error & { cause?: unknown }).cause
    }
    return messages.join(' / ')
  }
  return 'accepted'
}

beforeAll(async () => {
  database = await createTestDatabase()
  await write(300, Date.now() - 400 * 86_400_000)
  await sequenceAll(database.handle.db)
  await signCheckpointIfGrown(database.handle.db, signer)
})
afterAll(async () => {
  await database.cleanup()
})

describe(`the journal refuses forged appends (${testDatabaseKind}${testDatabaseKind === 'postgres' ? ', app role' : ''})`, () => {
  it('refuses a state that moves the cursor past committed events without leaves (hiding them)', async () => {
    const db = database.handle.db
    const hidden = await write(2)
    await waitBelowHorizon(hidden)
    const head = await readLogHead(db)
    const [last] = await queryRows<{ xid: string; id: string }>(db, sql`select xid::text as xid, id::text as id from audit_queue where event_id = ${hidden[1]!}`)
    // Sealing the second event and not the first is refused…
    const [second] = await queryRows<{ occurred_at_ms: unknown; commitment: string }>(db, sql`select occurred_at_ms, commitment from audit_queue where event_id = ${hidden[1]!}`)
    const [previous] = await queryRows<{ cell_seq: unknown; leaf_hash: string }>(db, sql`select cell_seq, leaf_hash from audit_leaves where cell_id = ${cellId} order by cell_seq desc limit 1`)
    const skipping: Leaf = { v: 1, eventId: hidden[1]!, occurredAtMs: Number(second!.occurred_at_ms), cellId, cellSeq: Number(previous!.cell_seq) + 1, prevCellLeafHash: previous!.leaf_hash, action: 'cell.members.read', outcome: 'success', commitment: second!.commitment }
    expect(
      await refusal(sql`insert into audit_leaves (leaf_index, event_id, cell_id, cell_seq, prev_cell_leaf_hash, leaf_hash) values (${head.treeSize}, ${skipping.eventId}, ${cellId}, ${skipping.cellSeq}, ${skipping.prevCellLeafHash}, ${leafHash(skipping).toString('hex')})`),
    ).toMatch(/a queued event skipped/)
    // …and so is a state whose cursor passes them.
    const message = await refusal(
      sql`insert into audit_log_states (tree_size, frontier, root, cursor_xid, cursor_id) values (${head.treeSize + 1}, ${JSON.stringify({ size: head.treeSize + 1, nodes: [] })}::jsonb, ${'0'.repeat(64)}, ${last!.xid}::xid8, ${Number(last!.id)})`,
    )
    expect(message).toMatch(/audit_log_states/)
    expect(await sequenceAll(db)).toBe(2)
  })

  it('refuses leaves that are not the hash of their event, break the chain, skip an index or reorder the queue', async () => {
    const db = database.handle.db
    const [eventId] = await write(1)
    await waitBelowHorizon([eventId!])
    const head = await readLogHead(db)
    const [row] = await queryRows<{ occurred_at_ms: unknown; commitment: string }>(db, sql`select occurred_at_ms, commitment from audit_queue where event_id = ${eventId!}`)
    const [previous] = await queryRows<{ cell_seq: unknown; leaf_hash: string }>(db, sql`select cell_seq, leaf_hash from audit_leaves where cell_id = ${cellId} order by cell_seq desc limit 1`)
    const honest: Leaf = { v: 1, eventId: eventId!, occurredAtMs: Number(row!.occurred_at_ms), cellId, cellSeq: Number(previous!.cell_seq) + 1, prevCellLeafHash: previous!.leaf_hash, action: 'cell.members.read', outcome: 'success', commitment: row!.commitment }
    const insert = (leaf: Leaf, { index = head.treeSize, hash = leafHash(leaf).toString('hex') }: { index?: number; hash?: string } = {}) =>
      refusal(sql`insert into audit_leaves (leaf_index, event_id, cell_id, cell_seq, prev_cell_leaf_hash, leaf_hash) values (${index}, ${leaf.eventId}, ${leaf.cellId}, ${leaf.cellSeq}, ${leaf.prevCellLeafHash}, ${hash})`)
    expect(await insert(honest, { hash: 'f'.repeat(64) })).toMatch(/is not the hash of its event/)
    expect(await insert({ ...honest, action: 'cell.read' })).toMatch(/is not the hash of its event/)
    expect(await insert({ ...honest, cellSeq: honest.cellSeq! + 1 })).toMatch(/breaks its cell's chain/)
    expect(await insert({ ...honest, prevCellLeafHash: 'a'.repeat(64) })).toMatch(/breaks its cell's chain/)
    expect(await insert(honest, { index: head.treeSize + 5 })).toMatch(/out of order or not dense/)
    // The honest leaf itself is accepted by the database (the sequencer's own insert), then sealed.
    expect(await sequenceAll(db)).toBe(1)
  })

  it('refuses a detail written back after the purge, or invented for an existing event', async () => {
    const db = database.handle.db
    const purge = await purgeExpiredDetails(db, { months: 12 })
    expect(purge.purged).toBe(300)
    const [purgedEvent] = await queryRows<{ event_id: string; occurred_at_ms: unknown }>(db, sql`select q.event_id, q.occurred_at_ms from audit_queue q left join audit_details d on d.event_id = q.event_id where d.event_id is null limit 1`)
    const salt = newSalt()
    const detail = { actorUserId: randomUUID(), ip: '203.0.113.9' }
    expect(computeCommitment({ salt, detail })).toMatch(/^[0-9a-f]{64}$/)
    const message = await refusal(
      sql`insert into audit_details (event_id, occurred_at_ms, cell_id, actor_user_id, salt, detail) values (${purgedEvent!.event_id}, ${Number(purgedEvent!.occurred_at_ms)}, ${cellId}, ${detail.actorUserId}, ${salt.toString('hex')}, ${JSON.stringify(detail)}::jsonb)`,
    )
    expect(message).toMatch(/a detail is written with its event/)
  })

  it('refuses a queue row placed behind the cursor, a bad tile and a checkpoint the log never reached', async () => {
    const db = database.handle.db
    expect(await refusal(sql`insert into audit_queue (xid, event_id, occurred_at_ms, cell_id, action, outcome, commitment) values ('1'::xid8, ${randomUUID()}, 1, ${cellId}, 'cell.read', 'success', ${'a'.repeat(64)})`)).toMatch(
      /xid must be the writing transaction/,
    )
    expect(await refusal(sql`insert into audit_queue (event_id, occurred_at_ms, cell_id, action, outcome, commitment) values (${randomUUID()}, 1, ${cellId}, 'DROP TABLE', 'success', ${'a'.repeat(64)})`)).toMatch(/malformed event/)
    expect(await refusal(sql`insert into audit_tiles (tile_index, hash) values (0, ${'b'.repeat(64)})`)).not.toBe('accepted')
    expect(await refusal(sql`insert into audit_tiles (tile_index, hash) values (40, ${'b'.repeat(64)})`)).toMatch(/not complete/)
    expect(await refusal(sql`insert into audit_checkpoints (tree_size, root, note, key_id) values (999999, ${'c'.repeat(64)}, 'junk', 'abcd')`)).toMatch(/never reached/)
    // After all that, the honest path still seals and signs.
    await sequenceAll(db)
    await write(3)
    expect(await sequenceAll(db)).toBe(3)
    expect((await signCheckpointIfGrown(db, signer)).signed).toBe(true)
  })

  it('a forged note for a size and root the log reached neither stops the signer nor enters an export', async () => {
    const db = database.handle.db
    await write(2)
    await sequenceAll(db)
    const head = await readLogHead(db)
    expect(await refusal(sql`insert into audit_checkpoints (tree_size, root, note, key_id) values (${head.treeSize}, ${head.root.toString('hex')}, 'not a signed note', 'abcd')`)).toBe('accepted')
    await write(1)
    await sequenceAll(db)
    expect((await signCheckpointIfGrown(db, signer)).signed).toBe(true)
    const exported = await exportAuditLog(db, signer)
    expect(exported.checkpoints.every(note => note.includes('\u2014 ') || note.includes('— '))).toBe(true)
    expect(verifyExport({ file: JSON.parse(JSON.stringify(exported)), trustedPublicKey: signer.key.publicKey })).toMatchObject({ ok: true })
  })
})

import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listCellDirectory } from '#db/cells.ts'
import { checkHealth } from '#db/health.ts'
import { runMigrations } from '#db/migrate.ts'
import { openDatabase } from '#db/open.ts'
import { DEMO_CELL, databaseIsEmpty, seedDemo } from '#server/demo/cell.ts'
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '#tests/support/test-database.ts'

let database: TestDatabase

/** PGlite and node-postgres both answer raw queries with `{ rows }`. */
const rowsOf = (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false })
})
afterAll(async () => {
  await database.cleanup()
})

async function schemaSnapshot() {
  const result = await database.handle.db.execute(sql`
    select table_name, column_name, data_type, is_nullable
    from information_schema.columns where table_schema = 'public'
    order by table_name, column_name`)
  const applied = await database.handle.db.execute(sql`select hash from drizzle.__drizzle_migrations order by id`)
  return { columns: rowsOf(result), applied: rowsOf(applied) }
}

describe(`database on ${testDatabaseKind}`, () => {
  it('applies the migrations, and applying them again changes nothing', async () => {
    await runMigrations(database.handle)
    const first = await schemaSnapshot()
    expect(first.applied.length).toBeGreaterThan(0)
    expect(first.columns.map(row => row.table_name)).toEqual(expect.arrayContaining(['cells', 'memberships', 'sessions', 'users']))

    await runMigrations(database.handle)
    expect(await schemaSnapshot()).toEqual(first)
  })

  it('every tenant table carries cell_id', async () => {
    const result = await database.handle.db.execute(sql`
      select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'cell_id' order by table_name`)
    expect(rowsOf(result).map(row => row.table_name)).toEqual(['audit_alert_reviews', 'audit_details', 'audit_events', 'audit_leaves', 'audit_queue', 'cell_charters', 'cell_invitations', 'cell_key_blobs', 'charter_signatures', 'memberships', 'roster_links'])
  })

  it('seeds the demo cell once, however often the seed runs', async () => {
    expect(await databaseIsEmpty(database.handle.db)).toBe(true)
    const first = await seedDemo(database.handle.db)
    const second = await seedDemo(database.handle.db)
    expect(first.created).toHaveLength(1)
    expect(second).toEqual({ created: [], existing: first.created })
    const directory = await listCellDirectory(database.handle.db)
    expect(directory).toEqual([
      { slug: 'sevran', name: DEMO_CELL.name, communes: ['Sevran'], hostInstitution: DEMO_CELL.hostInstitution },
    ])
    expect(DEMO_CELL.name).toBe('Cellule de prévention de la maltraitance des adultes — Sevran')
  })

  it('reports health ok while the database answers', async () => {
    expect(await checkHealth(database.handle)).toEqual({ status: 'ok', database: testDatabaseKind })
  })
})

describe('health when the database is unreachable', () => {
  it('reports a closed embedded database as unavailable with a reason', async () => {
    const handle = await openDatabase({ kind: 'pglite' })
    await handle.close()
    const report = await checkHealth(handle)
    expect(report).toMatchObject({ status: 'unavailable', database: 'pglite' })
    expect(report.status === 'unavailable' && report.reason).toMatch(/database unreachable/)
  })

  it('reports a server that refuses connections as unavailable', async () => {
    const handle = await openDatabase({ kind: 'postgres', databaseUrl: 'postgres://postgres@127.0.0.1:1/none' })
    const report = await checkHealth(handle)
    await handle.close()
    expect(report).toMatchObject({ status: 'unavailable', database: 'postgres' })
  })
})

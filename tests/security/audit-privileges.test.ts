import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { logOrigin } from '#journal/checkpoint.ts'
import { generateSigningKey } from '#journal/keys.ts'
import { AUDIT_TABLES, recordAudit, ensureAppRole, readLogHead, sequenceAll, signCheckpointIfGrown } from '#db/journal/index.ts'
import { queryRows, toSafeNumber } from '#db/journal/rows.ts'
import { type Database, type DatabaseHandle } from '#db/database.ts'
import { runMigrations } from '#db/migrate.ts'
import { openDatabase } from '#db/open.ts'
import { auditAlertReviews, cells, instanceSecrets, users } from '#db/schema.ts'
import { createServerDatabase, serverUrl } from '../support/test-database.ts'

/**
 * The audit tables are insert-only twice over (DESIGN §11): triggers refuse UPDATE, DELETE and
 * TRUNCATE for every role, owner and superuser included; and on a server the application's role
 * lacks those privileges and cannot disable the triggers, since it does not own the tables.
 */

const APP_ROLE = 'cellule_app'
const INSUFFICIENT_PRIVILEGE = '42501'
const signer = { key: generateSigningKey(), origin: logOrigin('privileges.cellule.test') }
const DAY_MS = 24 * 3600 * 1000

type PgError = { code?: string; message: string }

/** The driver's error under drizzle's and recordAudit's wrappers. */
function databaseError(error: unknown): PgError {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (typeof (current as { code?: unknown }).code === 'string') return current as PgError
  }
  throw new Error(`not a database error: ${String(error)}`, { cause: error })
}

async function failure(promise: Promise<unknown>): Promise<PgError> {
  try {
    await promise
  } catch (error) {
    return databaseError(error)
  }
  throw new Error('the statement succeeded')
}

/**
 * sequenceAll stops at the horizon: on a server, a write transaction still running in any
 * database (another test file's) holds back the events committed after it started.
 */
async function sequenceUntil(db: Database, { treeSize }: { treeSize: number }): Promise<number> {
  const deadline = Date.now() + 30_000
  let sequenced = 0
  for (;;) {
    sequenced += await sequenceAll(db)
    if ((await readLogHead(db)).treeSize >= treeSize) return sequenced
    if (Date.now() > deadline) throw new Error(`log stuck below ${treeSize} leaves`)
    await sleep(50)
  }
}

/** One row in every audit table, so that row triggers have something to refuse. */
async function fillAuditTables(db: Database) {
  const [user] = await db
    .insert(users)
    .values({
      email: `audit-${randomUUID()}@cellule.test`,
      displayName: 'Audit',
      saltSeed: 'seed',
      kdfOpsLimit: 2,
      kdfMemLimitBytes: 65_536,
      authSecretHash: 'hash',
      recoverySecretHash: 'hash',
      wrappedAccountKey: 'wrapped',
      recoveryWrappedAccountKey: 'wrapped',
      identityPublic: 'public',
      wrappedIdentitySecrets: 'wrapped',
    })
    .returning({ id: users.id })
  const [cell] = await db
    .insert(cells)
    .values({ slug: `cellule-${randomUUID()}`, name: 'Cellule test', hostInstitution: 'Hôpital', dpoContact: 'dpo@cellule.test' })
    .returning({ id: cells.id })
  // 256 events complete one tile.
  for (let i = 0; i < 256; i++) {
    await recordAudit(db, { type: 'cell.members.read', outcome: 'success' }, { cellId: cell!.id, actorUserId: user!.id })
  }
  await sequenceUntil(db, { treeSize: 256 })
  await signCheckpointIfGrown(db, signer)
  await db.insert(auditAlertReviews).values({ cellId: cell!.id, alertId: 'alert-1', status: 'reviewed', comment: 'Vu.', reviewerUserId: user!.id })
  for (const table of AUDIT_TABLES) {
    const [row] = await queryRows<{ n: unknown }>(db, sql.raw(`select count(*) as n from ${table}`))
    expect(toSafeNumber(row!.n), table).toBeGreaterThan(0)
  }
}

/** A column of each table, for a no-op UPDATE that still touches every row. */
const updatableColumn: Record<(typeof AUDIT_TABLES)[number], string> = {
  audit_queue: 'action',
  audit_leaves: 'leaf_hash',
  audit_details: 'detail',
  audit_tiles: 'hash',
  audit_log_states: 'root',
  audit_checkpoints: 'note',
  audit_alert_reviews: 'comment',
}

// CASCADE: a plain TRUNCATE of audit_queue stops earlier, on the foreign key from audit_leaves.
const forbiddenStatements = (table: (typeof AUDIT_TABLES)[number]) => [`update ${table} set ${updatableColumn[table]} = ${updatableColumn[table]}`, `delete from ${table}`, `truncate ${table} cascade`]

/** The owner (superuser on the server) is refused by the triggers alone. */
async function expectTriggersRefuse(db: Database) {
  for (const table of AUDIT_TABLES) {
    for (const statement of forbiddenStatements(table)) {
      const error = await failure(db.execute(sql.raw(statement)))
      expect(error.code, statement).toBe(INSUFFICIENT_PRIVILEGE)
      expect(error.message, statement).toMatch(/append-only/)
    }
  }
}

describe('audit tables refuse changes from their owner (PGlite)', () => {
  let handle: DatabaseHandle
  beforeAll(async () => {
    handle = await openDatabase({ kind: 'pglite' })
    await runMigrations(handle)
    await fillAuditTables(handle.db)
  })
  afterAll(async () => {
    await handle?.close()
  })

  it('UPDATE, DELETE and TRUNCATE on every audit table fail with 42501 from the triggers', async () => {
    await expectTriggersRefuse(handle.db)
  })
})

describe.skipIf(!serverUrl)('the application role on PostgreSQL (skipped without DATABASE_URL: roles and privileges need a server)', () => {
  let owner: DatabaseHandle
  let app: DatabaseHandle
  let url: string
  let drop: () => Promise<void>
  const loginRole = `cellule_login_${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    const server = await createServerDatabase()
    url = server.url
    drop = server.drop
    owner = await openDatabase({ kind: 'postgres', databaseUrl: url, maxConnections: 2 })
    await runMigrations(owner)
    await ensureAppRole(owner.db, APP_ROLE)
    app = await openDatabase({ kind: 'postgres', databaseUrl: url, maxConnections: 2, appRole: APP_ROLE })
    await fillAuditTables(app.db)
  })
  afterAll(async () => {
    await app?.close()
    await owner?.close()
    await drop?.()
    const admin = new pg.Client({ connectionString: serverUrl })
    await admin.connect()
    await admin.query(`drop role if exists ${loginRole}`)
    await admin.end()
  })

  it('runs as the application role, which can INSERT and SELECT audit rows', async () => {
    const [who] = await queryRows<{ current_user: string }>(app.db, sql`select current_user`)
    expect(who!.current_user).toBe(APP_ROLE)
    const eventId = await recordAudit(app.db, { type: 'auth.login', outcome: 'success', data: {} }, { actorUserId: randomUUID() })
    expect(await sequenceUntil(app.db, { treeSize: 257 })).toBe(1)
    const [leaf] = await queryRows<{ leaf_index: unknown }>(app.db, sql`select leaf_index from audit_leaves where event_id = ${eventId}`)
    expect(toSafeNumber(leaf!.leaf_index)).toBe(256)
  })

  it('UPDATE, DELETE and TRUNCATE on every audit table are refused by its privileges, before any trigger', async () => {
    for (const table of AUDIT_TABLES) {
      for (const statement of forbiddenStatements(table)) {
        const error = await failure(app.db.execute(sql.raw(statement)))
        expect(error.code, statement).toBe(INSUFFICIENT_PRIVILEGE)
        // The privilege check's message, not the trigger's ('append-only').
        expect(error.message, statement).toBe(`permission denied for table ${table}`)
      }
    }
    // The purge's switch does not help without DELETE.
    const purgeSwitch = failure(
      app.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('cellule.audit_purge', 'on', true)`)
        await tx.execute(sql`delete from audit_details`)
      }),
    )
    expect(await purgeSwitch).toMatchObject({ code: INSUFFICIENT_PRIVILEGE, message: 'permission denied for table audit_details' })
  })

  it('cannot disable or drop the triggers, nor turn them off for its session', async () => {
    for (const statement of ['alter table audit_queue disable trigger all', 'alter table audit_details disable trigger audit_details_append_only', 'drop trigger audit_leaves_append_only on audit_leaves']) {
      const error = await failure(app.db.execute(sql.raw(statement)))
      expect(error.code, statement).toBe(INSUFFICIENT_PRIVILEGE)
      expect(error.message, statement).toMatch(/must be owner of (table|relation)/)
    }
    // Replica mode skips ordinary triggers; only a superuser may set it.
    expect(await failure(app.db.execute(sql`set session_replication_role = replica`))).toMatchObject({ code: INSUFFICIENT_PRIVILEGE })
  })

  it('still writes business tables', async () => {
    const name = `bench-${randomUUID()}`
    await app.db.insert(instanceSecrets).values({ name, value: 'v1' })
    await app.db.execute(sql`update instance_secrets set value = 'v2' where name = ${name}`)
    const [row] = await queryRows<{ value: string }>(app.db, sql`select value from instance_secrets where name = ${name}`)
    expect(row!.value).toBe('v2')
    await app.db.execute(sql`delete from instance_secrets where name = ${name}`)
  })

  it('purges details only through audit_purge_details, and never younger than 6 months', async () => {
    const [result] = await queryRows<{ purged: unknown; cutoff_ms: unknown }>(app.db, sql`select * from audit_purge_details(12, null)`)
    expect(toSafeNumber(result!.purged)).toBe(0)
    // The cutoff is the database's: 12 calendar months before now, give or take the month lengths.
    expect(Date.now() - toSafeNumber(result!.cutoff_ms)).toBeGreaterThan(360 * DAY_MS)
    const tooYoung = await failure(app.db.execute(sql`select * from audit_purge_details(5, null)`))
    expect(tooYoung).toMatchObject({ code: '23514', message: expect.stringMatching(/6 to 12 months/) })
  })

  it('fails closed when the role cannot be taken', async () => {
    const missing = await openDatabase({ kind: 'postgres', databaseUrl: url, maxConnections: 1, appRole: 'no_such_role_xyz' })
    try {
      expect((await failure(missing.db.execute(sql`select 1`))).message).toBe('role "no_such_role_xyz" does not exist')
      await expect(missing.ping()).rejects.toThrow()
    } finally {
      await missing.close()
    }
  })

  it('RESET ROLE keeps the application role, but a superuser login can still SET ROLE back to itself', async () => {
    // The role comes from the connection's startup options: RESET returns to it, not to the login.
    await app.db.transaction(async (tx) => {
      await tx.execute(sql`reset role`)
      const [who] = await queryRows<{ current_user: string }>(tx, sql`select current_user`)
      expect(who!.current_user).toBe(APP_ROLE)
      expect(await failure(tx.execute(sql`update audit_queue set action = action`))).toMatchObject({ message: 'permission denied for table audit_queue' })
    })
    // SET ROLE is checked against the session (login) user. Here the login is the superuser that
    // owns the tables, so SQL running as the app role can climb back: the role protects against
    // mistakes, not against injected SQL. In production the application must LOG IN as a role
    // that is neither owner nor superuser (shown below); `-c role` alone is not a boundary.
    for (const escalation of [sql`set local role postgres`, sql`set local role none`]) {
      await app.db.transaction(async (tx) => {
        await tx.execute(escalation)
        const [who] = await queryRows<{ current_user: string; session_user: string }>(tx, sql`select current_user, session_user`)
        expect(who).toEqual({ current_user: 'postgres', session_user: 'postgres' })
      })
    }
  })

  it('logged in as a non-owner member of the application role, SET ROLE postgres is refused', async () => {
    await owner.db.execute(sql.raw(`create role ${loginRole} login in role ${APP_ROLE}`))
    const loginUrl = new URL(url)
    loginUrl.username = loginRole
    const member = await openDatabase({ kind: 'postgres', databaseUrl: loginUrl.toString(), maxConnections: 1, appRole: APP_ROLE })
    try {
      const [who] = await queryRows<{ current_user: string; session_user: string }>(member.db, sql`select current_user, session_user`)
      expect(who).toEqual({ current_user: APP_ROLE, session_user: loginRole })
      await member.db.transaction(async (tx) => {
        expect(await failure(tx.execute(sql`set local role postgres`))).toMatchObject({ code: INSUFFICIENT_PRIVILEGE, message: 'permission denied to set role "postgres"' })
      })
      // Back to the login role: it holds only what it inherits from the application role.
      await member.db.transaction(async (tx) => {
        await tx.execute(sql`set local role none`)
        expect(await failure(tx.execute(sql`update audit_queue set action = action`))).toMatchObject({ code: INSUFFICIENT_PRIVILEGE, message: 'permission denied for table audit_queue' })
      })
      expect(await failure(member.db.execute(sql`alter table audit_queue disable trigger all`))).toMatchObject({ code: INSUFFICIENT_PRIVILEGE })
    } finally {
      await member.close()
    }
  })

  it('the owner, too, is refused by the triggers', async () => {
    await expectTriggersRefuse(owner.db)
  })
})

import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type DatabaseHandle } from '#db/database.ts'
import { ensureAppRole } from '#db/journal/privileges.ts'
import { runMigrations } from '#db/migrate.ts'
import { openDatabase } from '#db/open.ts'

/** Integration tests run on PGlite by default and on the PostgreSQL server when DATABASE_URL is set. */
export const serverUrl = process.env.DATABASE_URL
export const testDatabaseKind = serverUrl ? ('postgres' as const) : ('pglite' as const)

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

/** Creates an empty database on the server and returns its URL and a function dropping it. */
export async function createServerDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!serverUrl) throw new Error('createServerDatabase needs DATABASE_URL')
  const name = `cellule_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  return {
    url: withDatabaseName(serverUrl, name),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

export type TestDatabase = { handle: DatabaseHandle; url?: string; cleanup: () => Promise<void> }

/** The role the server's connections run as (server/index.ts): the suites run with the same rights. */
export const TEST_APP_ROLE = 'cellule_app'

/**
 * A fresh, migrated database for one test file. On a server, migrations run as the login role
 * and the returned handle runs as the app role, as in production (INSERT-only audit tables),
 * unless `appRole: false` (tests of migrations themselves).
 */
export async function createTestDatabase({ migrate = true, appRole = true }: { migrate?: boolean; appRole?: boolean } = {}): Promise<TestDatabase> {
  if (serverUrl) {
    const { url, drop } = await createServerDatabase()
    let handle = await openDatabase({ kind: 'postgres', databaseUrl: url, maxConnections: 4 })
    if (migrate) await runMigrations(handle)
    if (migrate && appRole) {
      await ensureAppRole(handle.db, TEST_APP_ROLE)
      await handle.close()
      handle = await openDatabase({ kind: 'postgres', databaseUrl: url, maxConnections: 4, appRole: TEST_APP_ROLE })
    }
    return {
      handle,
      url,
      cleanup: async () => {
        await handle.close()
        await drop()
      },
    }
  }
  const handle = await openDatabase({ kind: 'pglite' })
  if (migrate) await runMigrations(handle)
  return { handle, cleanup: () => handle.close() }
}

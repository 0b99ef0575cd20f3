import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type DatabaseHandle } from '#db/database.ts'
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

/** A fresh, migrated database for one test file. */
export async function createTestDatabase({ migrate = true }: { migrate?: boolean } = {}): Promise<TestDatabase> {
  if (serverUrl) {
    const { url, drop } = await createServerDatabase()
    const handle = await openDatabase({ kind: 'postgres', databaseUrl: url, maxConnections: 4 })
    if (migrate) await runMigrations(handle)
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

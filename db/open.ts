import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import pg from 'pg'
import { type Database, type DatabaseHandle } from './database.ts'
import { acquireDataDirLock } from './lock.ts'
import * as schema from './schema.ts'

export type OpenDatabaseOptions =
  /**
   * `appRole`: every connection starts as this role (`-c role=…`): a role that cannot be set
   * refuses the connection, so the app never silently runs with the login role's rights.
   */
  | { kind: 'postgres'; databaseUrl: string; maxConnections?: number; appRole?: string }
  /** `dataDir` undefined means an in-memory database (tests). */
  | { kind: 'pglite'; dataDir?: string }

const PING_TIMEOUT_MS = 2_000

function withTimeout<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${milliseconds} ms`)), milliseconds)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export function pgliteDirectory(dataDir: string): string {
  return path.join(dataDir, 'pglite')
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === 'postgres') {
    if (options.appRole !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.appRole)) throw new Error(`invalid database role name: ${options.appRole}`)
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? 10,
      ...(options.appRole ? { options: `-c role=${options.appRole}` } : {}),
    })
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {})
    const db = drizzleNodePostgres({ client: pool, schema }) as unknown as Database
    let closed = false
    return {
      kind: 'postgres',
      db,
      ping: async () => {
        await withTimeout(db.execute(sql`select 1`), PING_TIMEOUT_MS)
      },
      close: async () => {
        if (closed) return
        closed = true
        await pool.end()
      },
    }
  }

  const releaseLock = options.dataDir ? acquireDataDirLock(options.dataDir) : () => {}
  let client: PGlite
  try {
    client = await PGlite.create(options.dataDir ? pgliteDirectory(options.dataDir) : 'memory://')
  } catch (error) {
    releaseLock()
    throw error
  }
  const db = drizzlePglite({ client, schema }) as unknown as Database
  return {
    kind: 'pglite',
    db,
    ping: async () => {
      if (client.closed) throw new Error('embedded database is closed')
      await withTimeout(client.query('select 1'), PING_TIMEOUT_MS)
    },
    close: async () => {
      if (!client.closed) await client.close()
      releaseLock()
    },
  }
}

import { type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type * as schema from './schema.ts'

export type DatabaseKind = 'pglite' | 'postgres'
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>

export type DatabaseHandle = {
  kind: DatabaseKind
  db: Database
  /** Cheap round trip used by /healthz. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

// The Remix server build bundles its own copy of db/, so the process-wide handle lives on globalThis.
const REGISTRY_KEY = Symbol.for('cellule.database')
type Registry = { [REGISTRY_KEY]?: DatabaseHandle }

export function registerDatabase(handle: DatabaseHandle | undefined): void {
  ;(globalThis as Registry)[REGISTRY_KEY] = handle
}

export function getDatabaseHandle(): DatabaseHandle {
  const handle = (globalThis as Registry)[REGISTRY_KEY]
  if (!handle) throw new Error('Database not opened: call openDatabase() at boot before serving requests')
  return handle
}

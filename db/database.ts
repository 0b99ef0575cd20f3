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

import { fileURLToPath } from 'node:url'
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator'
import { type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { type PgliteDatabase } from 'drizzle-orm/pglite'
import { type DatabaseHandle } from './database.ts'

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url))

/** Applies pending drizzle migrations; a second run finds none and changes nothing. */
export async function runMigrations(handle: DatabaseHandle): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER }
  if (handle.kind === 'pglite') {
    await migratePglite(handle.db as unknown as PgliteDatabase, config)
  } else {
    await migrateNodePostgres(handle.db as unknown as NodePgDatabase, config)
  }
}

import path from 'node:path'
import { openDatabase } from '#db/open.ts'
import { type Config } from '#server/config.ts'

export function openConfiguredDatabase(config: Config) {
  return config.DATABASE_URL
    ? openDatabase({ kind: 'postgres', databaseUrl: config.DATABASE_URL })
    : openDatabase({ kind: 'pglite', dataDir: path.resolve(config.DATA_DIR) })
}

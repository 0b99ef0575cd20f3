import path from 'node:path'
import { parseArgs } from 'node:util'
import { restoreEmbeddedDatabase } from '#db/backup.ts'
import { loadConfigOrExit } from '#server/config.ts'
import { runCommand } from './run-command.ts'

await runCommand(async () => {
  const { positionals } = parseArgs({ allowPositionals: true })
  const file = positionals[0]
  if (!file) throw new Error('Usage : npm run restore -- FICHIER.tar.gz')
  const config = loadConfigOrExit()
  if (config.databaseKind === 'postgres') {
    throw new Error('DATABASE_URL est défini : restaurez le serveur avec pg_restore (voir README) / use pg_restore for a server')
  }
  const { previous } = await restoreEmbeddedDatabase({ dataDir: path.resolve(config.DATA_DIR), inFile: path.resolve(file) })
  return previous
    ? `Base restaurée ; l'ancienne est conservée dans ${previous} / restored; previous database kept in ${previous}`
    : 'Base restaurée / database restored'
})

import path from 'node:path'
import { parseArgs } from 'node:util'
import { backupEmbeddedDatabase } from '#db/backup.ts'
import { loadConfigOrExit } from '#server/config.ts'
import { runCommand } from './run-command.ts'

await runCommand(async () => {
  const { values } = parseArgs({ options: { out: { type: 'string' } } })
  if (!values.out) throw new Error('Usage : npm run backup -- --out FICHIER.tar.gz')
  const config = loadConfigOrExit()
  if (config.databaseKind === 'postgres') {
    throw new Error('DATABASE_URL est défini : sauvegardez le serveur avec pg_dump (voir README) / use pg_dump for a server')
  }
  const outFile = path.resolve(values.out)
  const { bytes } = await backupEmbeddedDatabase({ dataDir: path.resolve(config.DATA_DIR), outFile })
  return `Sauvegarde écrite / backup written: ${outFile} (${bytes} octets)`
})

import { loadConfigOrExit } from '#server/config.ts'
import { runMigrations } from '../migrate.ts'
import { openConfiguredDatabase } from './open-configured.ts'
import { runCommand } from './run-command.ts'

await runCommand(async () => {
  const config = loadConfigOrExit()
  const handle = await openConfiguredDatabase(config)
  try {
    await runMigrations(handle)
  } finally {
    await handle.close()
  }
  return `Migrations appliquées / migrations applied (${handle.kind})`
})

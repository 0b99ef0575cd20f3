import { ensureAppRole } from '#db/journal/privileges.ts'
import { runMigrations } from '#db/migrate.ts'
import { loadConfigOrExit } from '#server/config.ts'
import { openConfiguredDatabase } from './open-configured.ts'
import { runCommand } from './run-command.ts'

await runCommand(async () => {
  const config = loadConfigOrExit()
  const handle = await openConfiguredDatabase(config)
  try {
    await runMigrations(handle)
    // On a server, the app's role gets its grants (INSERT-only on the journal) after each migration.
    if (handle.kind === 'postgres' && config.appRole) await ensureAppRole(handle.db, config.appRole)
  } finally {
    await handle.close()
  }
  return `Migrations appliquées / migrations applied (${handle.kind})${handle.kind === 'postgres' && config.appRole ? `; droits du rôle ${config.appRole} / grants of role ${config.appRole}` : ''}`
})

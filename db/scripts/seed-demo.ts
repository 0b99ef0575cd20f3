import { loadConfigOrExit } from '#server/config.ts'
import { runMigrations } from '../migrate.ts'
import { seedDemo } from '../seed.ts'
import { openConfiguredDatabase } from './open-configured.ts'
import { runCommand } from './run-command.ts'

await runCommand(async () => {
  const config = loadConfigOrExit()
  const handle = await openConfiguredDatabase(config)
  try {
    await runMigrations(handle)
    const report = await seedDemo(handle.db)
    const lines = [
      ...report.created.map(item => `  créé / created: ${item}`),
      ...report.existing.map(item => `  déjà présent / already there: ${item}`),
    ]
    return [`Données de démonstration (${handle.kind}) / demo data:`, ...lines].join('\n')
  } finally {
    await handle.close()
  }
})

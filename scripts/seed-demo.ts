import { parseArgs } from 'node:util'
import { runMigrations } from '#db/migrate.ts'
import { loadConfigOrExit } from '#server/config.ts'
import { seedDemoData } from '#server/demo/seed.ts'
import { openConfiguredDatabase } from './open-configured.ts'
import { runCommand } from './run-command.ts'

await runCommand(async () => {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } } })
  const config = loadConfigOrExit()
  if (config.databaseKind === 'postgres' && !values.force) {
    throw new Error(
      'DATABASE_URL est défini : les comptes de démonstration ont des mots de passe publics. Ajoutez --force pour les créer quand même. / ' +
        'Refusing demo accounts with known passwords on a server database without --force.',
    )
  }
  const handle = await openConfiguredDatabase(config)
  try {
    await runMigrations(handle)
    const report = await seedDemoData(handle.db, { accounts: true })
    const lines = [
      ...report.created.map(item => `  créé / created: ${item}`),
      ...report.existing.map(item => `  déjà présent / already there: ${item}`),
    ]
    return [`Données de démonstration (${handle.kind}) / demo data:`, ...lines].join('\n')
  } finally {
    await handle.close()
  }
})

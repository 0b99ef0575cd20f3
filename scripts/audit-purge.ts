/**
 * `npm run audit:purge`: deletes the details of journal events older than AUDIT_RETENTION_MONTHS
 * (6–12, default 12) and records the purge in the journal. The server does the same every six
 * hours; this is for a stopped embedded database or an operator's scheduled task.
 */
import { purgeExpiredDetails } from '#db/journal/purge.ts'
import { loadConfigOrExit } from '#server/config.ts'
import { openConfiguredDatabase } from './open-configured.ts'
import { runCommand } from './run-command.ts'

await runCommand(async () => {
  const config = loadConfigOrExit()
  const handle = await openConfiguredDatabase(config)
  try {
    const result = await purgeExpiredDetails(handle.db, { months: config.AUDIT_RETENTION_MONTHS })
    const cutoff = new Date(result.cutoffMs).toISOString()
    return result.purged === 0
      ? `Rien à purger avant le ${cutoff} (${config.AUDIT_RETENTION_MONTHS} mois) / nothing to purge before ${cutoff}`
      : `${result.purged} détail(s) purgé(s) avant le ${cutoff} ; purge enregistrée au journal (${result.eventIds.join(', ')}) / ${result.purged} details purged, purge recorded`
  } finally {
    await handle.close()
  }
})

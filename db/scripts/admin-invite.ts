import { parseArgs } from 'node:util'
import { loadConfigOrExit } from '#server/config.ts'
import { createInvitation, INVITATION_LIFETIME_MS, type InvitationPurpose } from '../invitations.ts'
import { runMigrations } from '../migrate.ts'
import { openConfiguredDatabase } from './open-configured.ts'
import { runCommand } from './run-command.ts'

/**
 * `npm run admin:create -- --email X`: a one-time link to register a platform administrator.
 * `npm run admin:reset -- --email X`: a one-time link to reset an account whose password and recovery
 * code are both lost. With the embedded database, run it while the server is stopped.
 */
await runCommand(async () => {
  const { values } = parseArgs({ options: { email: { type: 'string' }, reset: { type: 'boolean', default: false } } })
  const purpose: InvitationPurpose = values.reset ? 'account_reset' : 'registration'
  if (!values.email) throw new Error(`Usage : npm run ${values.reset ? 'admin:reset' : 'admin:create'} -- --email ADRESSE`)
  const config = loadConfigOrExit()
  const handle = await openConfiguredDatabase(config)
  try {
    await runMigrations(handle)
    const { token } = await createInvitation(handle.db, {
      email: values.email,
      purpose,
      platformRole: purpose === 'registration' ? 'platform_admin' : 'none',
    })
    const origin = config.PUBLIC_ORIGIN ?? `http://localhost:${config.PORT || 3000}`
    const days = INVITATION_LIFETIME_MS / 86_400_000
    return [
      purpose === 'registration' ? `Invitation administrateur pour ${values.email} :` : `Lien de réinitialisation pour ${values.email} :`,
      `  ${origin}/invitation/${token}`,
      `Valable ${days} jours, une seule fois. Transmettez-le par un canal sûr. / One-time link, valid ${days} days.`,
    ].join('\n')
  } finally {
    await handle.close()
  }
})

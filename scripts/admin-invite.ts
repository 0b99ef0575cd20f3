import { parseArgs } from 'node:util'
import { retireUnreadableTotpSecret } from '#db/accounts.ts'
import { createInvitation, INVITATION_LIFETIME_MS, invitationLinkPath, type InvitationPurpose } from '#db/invitations.ts'
import { runMigrations } from '#db/migrate.ts'
import { configuredTotpKeyFile, loadOrCreateTotpKey, TotpKeyError, type TotpKey } from '#db/totp-key.ts'
import { loadConfigOrExit, type Config } from '#server/config.ts'
import { openConfiguredDatabase } from './open-configured.ts'
import { runCommand } from './run-command.ts'

/** The server's TOTP key, never created here: without the file, a secret is left as it is (the server decides at boot). */
async function currentTotpKey(config: Config): Promise<TotpKey | undefined> {
  try {
    return (await loadOrCreateTotpKey({ path: configuredTotpKeyFile(config).path, allowCreate: false })).key
  } catch (error) {
    if (error instanceof TotpKeyError && error.code === 'missing') return undefined
    throw error
  }
}

/**
 * `npm run admin:create -- --email X`: a one-time link to register a platform administrator.
 * `npm run admin:reset -- --email X`: a one-time link to reset an account whose password and recovery
 * code are both lost. With the embedded database, run it while the server is stopped. It also removes
 * a TOTP secret the configured TOTP key cannot open (the key was lost), so the server starts again.
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
    const totpKey = purpose === 'account_reset' ? await currentTotpKey(config) : undefined
    const retired = totpKey ? await retireUnreadableTotpSecret(handle.db, { email: values.email, key: totpKey }) : false
    const origin = config.PUBLIC_ORIGIN ?? `http://localhost:${config.PORT || 3000}`
    const days = INVITATION_LIFETIME_MS / 86_400_000
    return [
      purpose === 'registration' ? `Invitation administrateur pour ${values.email} :` : `Lien de réinitialisation pour ${values.email} :`,
      `  ${origin}${invitationLinkPath(token)}`,
      `Valable ${days} jours, une seule fois. Transmettez-le par un canal sûr. / One-time link, valid ${days} days.`,
      ...(retired
        ? ['Son secret TOTP, illisible avec la clé TOTP en service, est retiré : la connexion reste bloquée jusqu’à la réinitialisation. / Its TOTP secret, unreadable with the current key, was removed; login stays blocked until the reset.']
        : []),
    ].join('\n')
  } finally {
    await handle.close()
  }
})

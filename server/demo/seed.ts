import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { hashSecret } from '#app/auth/secret-hash.server.ts'
import { createAccount } from '#crypto/account.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { deriveRecoveryAuthSecret } from '#crypto/recovery-proof.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { DEFAULT_KDF, findUserByEmail, insertUser } from '#db/accounts.ts'
import { recordAudit } from '#db/journal/record.ts'
import { type Database } from '#db/database.ts'
import { cells } from '#db/schema.ts'
import { DEMO_CELL, seedDemo, type SeedReport } from './cell.ts'
import { ensureFirstCharter, foundDemoCell, type DemoKeys } from './founding.ts'

/** Demo accounts: embedded database only (a real server never gets known passwords). Listed in README. */
export const DEMO_ACCOUNTS = [
  { email: 'admin@demo.cellule.fr', displayName: 'Alex Admin (démo)', profession: 'autre', platformRole: 'platform_admin', cellRole: null, password: 'demo-admin-cellule-2026' },
  { email: 'coordination@demo.cellule.fr', displayName: 'Dr Camille Coordination (démo)', profession: 'medecin', rppsNumber: '10001234565', platformRole: 'none', cellRole: 'coordinator', password: 'demo-coordination-2026' },
  { email: 'membre@demo.cellule.fr', displayName: 'Morgane Membre (démo)', profession: 'assistant_service_social', adeliNumber: '751234567', platformRole: 'none', cellRole: 'member', password: 'demo-membre-cellule-2026' },
  { email: 'associe@demo.cellule.fr', displayName: 'Arthur Associé (démo)', profession: 'autre', platformRole: 'none', cellRole: 'associate', password: 'demo-associe-cellule-2026' },
  { email: 'dpo@demo.cellule.fr', displayName: 'Dominique DPO (démo)', profession: 'autre', platformRole: 'none', cellRole: 'dpo', password: 'demo-dpo-cellule-2026' },
] as const

export async function seedDemoData(db: Database, { accounts }: { accounts: boolean }): Promise<SeedReport> {
  const report = await seedDemo(db)
  if (!accounts) return report
  await initCrypto()
  const [cell] = await db.select({ id: cells.id }).from(cells).where(eq(cells.slug, DEMO_CELL.slug))
  if (cell) await ensureFirstCharter(db, cell.id)
  const newKeys: DemoKeys[] = []
  for (const account of DEMO_ACCOUNTS) {
    const label = `compte ${account.email}`
    const user = await findUserByEmail(db, account.email)
    if (user) {
      report.existing.push(label)
    } else {
      const userId = crypto.randomUUID()
      const saltSeed = randomBytes(32).toString('base64url')
      const created = createAccount({
        userId,
        email: account.email,
        password: account.password,
        kdfParams: { algorithm: 'argon2id13', opsLimit: DEFAULT_KDF.opsLimit, memLimitBytes: DEFAULT_KDF.memLimitBytes, saltSeed },
      })
      await insertUser(db, {
        id: userId,
        email: account.email,
        displayName: account.displayName,
        profession: account.profession,
        rppsNumber: 'rppsNumber' in account ? account.rppsNumber : null,
        adeliNumber: 'adeliNumber' in account ? account.adeliNumber : null,
        platformRole: account.platformRole,
        saltSeed,
        authSecretHash: await hashSecret(created.authSecret),
        recoverySecretHash: await hashSecret(deriveRecoveryAuthSecret(created.recoveryCode.secret)),
        wrappedAccountKey: toBase64Url(created.wrappedAccountKeyByPassword),
        recoveryWrappedAccountKey: toBase64Url(created.wrappedAccountKeyByRecovery),
        identityPublic: toBase64Url(created.identityPublic),
        wrappedIdentitySecrets: toBase64Url(created.wrappedIdentitySecrets),
      })
      report.created.push(`${label} (code de récupération : ${created.recoveryCode.code})`)
      if (account.cellRole) newKeys.push({ userId, accountKey: created.accountKey, identity: created.identity, role: account.cellRole })
    }
  }
  if (cell && newKeys.length === DEMO_ACCOUNTS.filter(account => account.cellRole).length && (await foundDemoCell({ db, cellId: cell.id, members: newKeys }))) {
    report.created.push('registre signé de la cellule de démonstration (coordination, membre, associé, DPO ; charte signée)')
    // The journal tells the same story, so the demo DPO's console does not start empty.
    const coordinator = newKeys.find(member => member.role === 'coordinator')
    await recordAudit(db, { type: 'cell.founded', outcome: 'success', data: { epoch: 0 } }, { actorUserId: coordinator?.userId ?? null, cellId: cell.id })
    for (const member of newKeys) {
      if (member.role !== 'coordinator') {
        await recordAudit(db, { type: 'cell.member.confirmed', outcome: 'success', data: { invitationId: crypto.randomUUID(), memberId: member.userId, role: member.role, kind: 'member' } }, { actorUserId: coordinator?.userId ?? null, cellId: cell.id })
      }
      await recordAudit(db, { type: 'cell.charter.signed', outcome: 'success', data: { version: 1 } }, { actorUserId: member.userId, cellId: cell.id })
    }
  }
  return report
}

import { inArray } from 'drizzle-orm'
import { markInvitation } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { cellKeyBlobs, charterSignatures, rosterLinks, users } from '#db/schema.ts'
import { parisDayStartMs } from '#app/journal/paris-days.ts'
import { createCellWithFounder } from '#app/cells/cells.server.ts'
import { type Runtime } from '#app/runtime.server.ts'
import { foundDemoCell, type DemoKeys } from '#server/demo/founding.ts'
import { createAccountFixture, FIXTURE_TOTP_SECRET, type AccountFixture } from './account-factory.ts'

/** The second factor every account fixture is enrolled with (account-factory.ts), for logins through the pages. */
export const FIXTURE_TOTP_KEY = FIXTURE_TOTP_SECRET

export type JournalFixtures = {
  cellId: string
  coordinator: AccountFixture
  member: AccountFixture
  dpo: AccountFixture
  /** A second cell, coordinated by `outsider`, whose events must never reach the first cell's console. */
  otherCellId: string
  outsider: AccountFixture
}

/**
 * Two founded cells as browsers would found them (same library as the demo seed): the first with a
 * coordinator, a member and a DPO, the second with its own coordinator; everyone signed charter v1.
 * The approach of tests/security/authorization-matrix.test.ts, without its other actor states.
 */
export async function createJournalFixtures(runtime: Runtime, { domain }: { domain: string }): Promise<JournalFixtures> {
  const db = runtime.db.db
  const account = (key: string, displayName: string, profession: string, platformRole: 'none' | 'platform_admin' = 'none') =>
    createAccountFixture(runtime, { email: `${key}@${domain}`, password: `Journal-${key}-2026!`, displayName, profession, platformRole })
  const [admin, coordinator, member, dpo, outsider] = await Promise.all([
    account('admin', 'Alix Administration', 'autre', 'platform_admin'),
    account('coordination', 'Dr Camille Coordination', 'medecin'),
    account('membre', 'Sarah Membre', 'assistant_service_social'),
    account('dpo', 'Dominique Protection', 'autre'),
    account('autre-cellule', 'Octave Autrecellule', 'medecin'),
  ])
  const keysOf = (fixture: AccountFixture, role: DemoKeys['role']): DemoKeys => ({ ...fixture.keys, role })
  const cellValues = (name: string, coordinatorEmail: string) => ({ name, communes: ['Sevran'], hostInstitution: 'Ville de Sevran', dpoContact: `dpo@${domain}`, coordinatorEmail })

  const first = await createCellWithFounder({ db, values: cellValues('Cellule du journal', coordinator.email), adminId: admin.userId })
  if (!(await foundDemoCell({ db, cellId: first.cell.id, members: [keysOf(coordinator, 'coordinator'), keysOf(member, 'member'), keysOf(dpo, 'dpo')] }))) throw new Error('cell not founded')
  await markInvitation(db, { invitationId: first.invitation.id, status: 'confirmed' })

  const second = await createCellWithFounder({ db, values: cellValues('Autre cellule du journal', outsider.email), adminId: admin.userId })
  if (!(await foundDemoCell({ db, cellId: second.cell.id, members: [keysOf(outsider, 'coordinator')] }))) throw new Error('second cell not founded')
  await markInvitation(db, { invitationId: second.invitation.id, status: 'confirmed' })

  return { cellId: first.cell.id, coordinator, member, dpo, otherCellId: second.cell.id, outsider }
}

/** The Paris calendar day (YYYY-MM-DD) of an instant. */
export function parisDay(atMs: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(atMs))
}

/**
 * 23:00 in Paris on the last Saturday strictly before today (Paris), as epoch ms: an off-hours
 * access a test cannot wait for, yet inside the console's 90-day alert window. Saturdays are never
 * DST-change days in France, so midnight + 23 h is 23:00 local.
 */
export function lastSaturdayNightMs(nowMs = Date.now()): number {
  const todayNoonUtc = Date.parse(`${parisDay(nowMs)}T12:00:00Z`)
  for (let back = 1; back <= 7; back++) {
    const day = new Date(todayNoonUtc - back * 86_400_000)
    if (day.getUTCDay() === 6) return parisDayStartMs(day.toISOString().slice(0, 10)) + 23 * 3_600_000
  }
  throw new Error('no Saturday in the last seven days')
}

/**
 * What of the database's ciphertext and key material shows in an exported journal (should be
 * nothing): key blobs, roster links, charter signatures, the people's wrapped keys and secret
 * hashes found in the text, and field names that would hold such things.
 */
export async function keyMaterialIn({ db, text, userIds }: { db: Database; text: string; userIds: string[] }) {
  const secrets = [
    ...(await db.select({ value: cellKeyBlobs.blob }).from(cellKeyBlobs)).map((row) => row.value),
    ...(await db.select({ value: rosterLinks.link }).from(rosterLinks)).map((row) => row.value),
    ...(await db.select({ value: charterSignatures.signature }).from(charterSignatures)).map((row) => row.value),
    ...(
      await db
        .select({ a: users.wrappedAccountKey, b: users.recoveryWrappedAccountKey, c: users.wrappedIdentitySecrets, d: users.authSecretHash, e: users.recoverySecretHash, g: users.totpSecret })
        .from(users)
        .where(inArray(users.id, userIds))
    ).flatMap((row) => Object.values(row)),
  ].filter((value): value is string => typeof value === 'string' && value.length >= 16)
  const keys = new Set<string>()
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk)
    if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        keys.add(key)
        walk(inner)
      }
    }
  }
  walk(JSON.parse(text))
  return {
    searched: secrets.length,
    // 32 characters cannot match by chance; a blob cut into the JSON would still show.
    found: secrets.filter((secret) => text.includes(secret.slice(0, 32))),
    suspiciousFields: [...keys].filter((key) => /blob|wrapped|cipher|secret|private|envelope|token|password|nonce/i.test(key)),
  }
}

import { eq } from 'drizzle-orm'
import { toBase64Url } from '#crypto/encoding.ts'
import { findCharterVersion, insertCellInvitation, markInvitation, recordInvitationAnswer } from '#db/cells.ts'
import { createInvitation, INVITATION_LIFETIME_MS } from '#db/invitations.ts'
import { users } from '#db/schema.ts'
import { createUserSession, SESSION_COOKIE } from '#app/auth/session.server.ts'
import { createCellWithFounder } from '#app/cells/cells.server.ts'
import { registeredIdentity } from '#app/cells/identity.server.ts'
import { foundDemoCell, type DemoKeys } from '#server/demo/founding.ts'
import { createAccountFixture, type AccountFixture } from './account-factory.ts'
import { type InProcessApp } from './in-process-app.ts'

/**
 * What the fuzz test (tests/security/fuzz.test.ts) needs to get past each route's guard, so the
 * generated input reaches the route's own parsing: the actor states of the authorization matrix
 * (tests/security/authorization-matrix.test.ts) that open a guard, built the same way.
 */

/** Who sends a fuzzed request. `anonymous` sends no session cookie. */
export const FUZZ_ACTORS = [
  'anonymous',
  /** Active member of cell A, charter signed. */
  'member',
  /** Coordinator of cell A, charter signed. */
  'coordinator',
  /** DPO of cell A, charter signed: the journal pages. */
  'dpo',
  /** Platform admin: cell creation. */
  'admin',
  /** Signed in, member of no cell: founder of the unfounded cell, invitee of a pending invitation of cell A. */
  'invitee',
  /** The member's account with a session that did the password step only: the second-factor API. */
  'passwordOnly',
  /** An account whose second factor is not enrolled yet, password session: the enrolment form. */
  'unenrolled',
] as const

export type FuzzActor = (typeof FUZZ_ACTORS)[number]

export type FuzzFixtures = {
  cellId: string
  /** Not founded yet; its founding invitation goes to the invitee. */
  unfoundedCellId: string
  unfoundedFoundingInvitationId: string
  /** Hash of the charter version 1 of the unfounded cell (what its founding must sign). */
  unfoundedCharterHash: string
  /** Hash of cell A's current charter (version 1). */
  charterHash: string
  /** Pending invitation of cell A (role member) addressed to the invitee. */
  memberInvitationId: string
  /** Invitation of cell A already answered by the newcomer: the coordinator's confirmation is next. */
  answeredInvitationId: string
  /** A valid account-registration token. */
  registrationToken: string
  memberId: string
  coordinatorId: string
  memberEmail: string
  /** Valid UUIDs of nothing. */
  unknownId: string
}

export type FuzzWorld = {
  fixtures: FuzzFixtures
  accounts: Partial<Record<FuzzActor, AccountFixture>>
  /** The `Cookie` header of an actor (undefined for anonymous); `fresh` makes a new session (logout). */
  cookieFor: (actor: FuzzActor, options?: { fresh?: boolean }) => Promise<string | undefined>
}

const PASSWORD = 'Fuzz-Saisie-Hostile-2026!'

export async function createFuzzWorld(app: InProcessApp): Promise<FuzzWorld> {
  const db = app.database.handle.db
  const account = (key: string, profession: string, platformRole: 'none' | 'platform_admin' = 'none') =>
    createAccountFixture(app.runtime, { email: `${key}@fuzz.exemple.fr`, password: PASSWORD, displayName: `Fuzz ${key}`, profession, platformRole })
  const admin = await account('admin', 'autre', 'platform_admin')
  const coordinator = await account('coordination', 'medecin')
  const member = await account('membre', 'assistant_service_social')
  const dpo = await account('dpo', 'autre')
  const invitee = await account('invite', 'medecin')
  const newcomer = await account('nouveau', 'infirmier')
  const unenrolled = await account('sans-totp', 'psychologue')
  await db.update(users).set({ totpSecret: null, totpEnabledAt: null }).where(eq(users.id, unenrolled.userId))

  const cellValues = (name: string, coordinatorEmail: string) => ({
    name,
    communes: ['Sevran'],
    hostInstitution: 'Ville de Sevran',
    dpoContact: 'dpo@fuzz.exemple.fr',
    coordinatorEmail,
  })
  const keysOf = (fixture: AccountFixture, role: DemoKeys['role']): DemoKeys => ({ ...fixture.keys, role })

  const cellA = await createCellWithFounder({ db, values: cellValues('Cellule A du fuzz', coordinator.email), adminId: admin.userId })
  const cellId = cellA.cell.id
  if (!(await foundDemoCell({ db, cellId, members: [keysOf(coordinator, 'coordinator'), keysOf(member, 'member'), keysOf(dpo, 'dpo')] }))) throw new Error('cell A not founded')
  await markInvitation(db, { invitationId: cellA.invitation.id, status: 'confirmed' })
  const charter = await findCharterVersion(db, { cellId, version: 1 })

  const unfounded = await createCellWithFounder({ db, values: cellValues('Cellule à fonder du fuzz', invitee.email), adminId: admin.userId })
  const unfoundedCharter = await findCharterVersion(db, { cellId: unfounded.cell.id, version: 1 })

  const expiresAt = new Date(Date.now() + INVITATION_LIFETIME_MS)
  const memberInvitation = await insertCellInvitation(db, { cellId, kind: 'member', email: invitee.email, role: 'member', createdBy: coordinator.userId, expiresAt })
  const answered = await insertCellInvitation(db, { cellId, kind: 'member', email: newcomer.email, role: 'member', createdBy: coordinator.userId, expiresAt })
  const identity = await registeredIdentity(db, newcomer.userId)
  await recordInvitationAnswer(db, {
    invitationId: answered.id,
    userId: newcomer.userId,
    answer: { memberId: identity.userId, signPublicKey: toBase64Url(identity.signPublicKey), boxPublicKey: toBase64Url(identity.boxPublicKey), proof: 'A'.repeat(43) },
  })
  const registration = await createInvitation(db, { email: 'nouvelle.personne@fuzz.exemple.fr', purpose: 'registration', createdBy: admin.userId })

  const passwordOnly = { ...member, sessionToken: (await createUserSession(db, { userId: member.userId, mfaVerified: false, userAgent: 'fuzz' })).token }
  const unenrolledSession = { ...unenrolled, sessionToken: (await createUserSession(db, { userId: unenrolled.userId, mfaVerified: false, userAgent: 'fuzz' })).token }
  const accounts: FuzzWorld['accounts'] = { admin, coordinator, member, dpo, invitee, passwordOnly, unenrolled: unenrolledSession }

  return {
    fixtures: {
      cellId,
      unfoundedCellId: unfounded.cell.id,
      unfoundedFoundingInvitationId: unfounded.invitation.id,
      unfoundedCharterHash: unfoundedCharter?.hash ?? '0'.repeat(64),
      charterHash: charter?.hash ?? '0'.repeat(64),
      memberInvitationId: memberInvitation.id,
      answeredInvitationId: answered.id,
      registrationToken: registration.token,
      memberId: member.userId,
      coordinatorId: coordinator.userId,
      memberEmail: member.email,
      unknownId: '00000000-0000-4000-8000-000000000000',
    },
    accounts,
    cookieFor: async (actor, { fresh = false } = {}) => {
      const fixture = accounts[actor]
      if (!fixture) return undefined
      if (!fresh) return `${SESSION_COOKIE}=${fixture.sessionToken}`
      const mfaVerified = actor !== 'passwordOnly' && actor !== 'unenrolled'
      const { token } = await createUserSession(db, { userId: fixture.userId, mfaVerified, userAgent: 'fuzz' })
      return `${SESSION_COOKIE}=${token}`
    },
  }
}

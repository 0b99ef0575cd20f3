import { type z } from 'zod'
import { findProfession } from '#charter/professions.ts'
import { findUserById } from '#db/accounts.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findMembership, markMembershipRemoved, noteMembershipChange, setMembershipRole } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { isUuid, type CellPrincipal } from '#app/access/authorize.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { revokeAllSessions } from '#app/auth/session.server.ts'
import { withRosterRace } from './http.server.ts'
import { appendRosterLinksChecked } from './roster.server.ts'
import { storeRosterChange } from './rotation.server.ts'
import { type rotationSchema, type setRoleSchema } from './schemas.ts'

const NOMINATIVE_ROLES: ReadonlySet<string> = new Set(['coordinator', 'member'])

/**
 * Rule 2 of the charter: a nominative role (coordination, member) needs a profession bound by
 * secrecy (CSP R1110-2), whether the role comes with an invitation or a later change.
 */
export function assertRoleAllowedForProfession({ role, profession, verb }: { role: string; profession: string | null; verb: 'invitez-la' | 'choisissez' }) {
  if (NOMINATIVE_ROLES.has(role) && (findProfession(profession ?? '')?.category ?? 'none') === 'none') {
    throw new HttpError(422, `Cette personne n’exerce pas une profession soumise au secret (article R1110-2 du CSP) : ${verb === 'invitez-la' ? 'invitez-la comme' : 'choisissez le rôle'} membre associé ou DPO.`, {
      fieldErrors: { role: ['Profession non soumise au secret : rôle « membre associé » ou « DPO » seulement.'] },
    })
  }
}

type Change = { kind: 'remove'; body: z.infer<typeof rotationSchema> } | { kind: 'set-role'; body: z.infer<typeof setRoleSchema> }

/**
 * Removal or role change, as signed by the coordinator's browser (the guard allowed
 * `cell:member:remove` or `cell:member:set-role`): the change link, then the new epoch and the
 * other rotations of the planner. The person's sessions end at once (DESIGN §4).
 */
export async function changeMember({ db, principal, memberId, change, clientIp }: { db: Database; principal: CellPrincipal; memberId: string; change: Change; clientIp: string }) {
  const cellId = principal.cell.id
  const { body } = change
  const membership = isUuid(memberId) ? await findMembership(db, { cellId, userId: memberId }) : undefined
  if (!membership || membership.status === 'removed') throw new HttpError(404, 'Ce membre ne fait pas partie de la cellule.')
  if (memberId === principal.userId && change.kind === 'remove') throw new HttpError(422, 'Vous ne pouvez pas vous retirer vous-même : confiez d’abord la coordination à une autre personne.')
  if (change.kind === 'set-role') {
    const person = await findUserById(db, memberId)
    assertRoleAllowedForProfession({ role: change.body.role, profession: person?.profession ?? null, verb: 'choisissez' })
  }
  const audit = { actorUserId: principal.userId, cellId, ipAddress: clientIp }

  await withRosterRace(() =>
    db.transaction(async tx => {
      const { previous, state, parsed } = await appendRosterLinksChecked({
        tx,
        cellId,
        authorId: principal.userId,
        links: body.links,
        allowedTypes: [change.kind === 'remove' ? 'remove_member' : 'set_role', 'rotate_epoch', 'publish_intake_key'],
      })
      const link = parsed[0]?.payload
      const targets = link && 'memberId' in link ? link.memberId : undefined
      if (targets !== memberId) throw new HttpError(422, 'Le premier maillon doit viser ce membre.')
      await storeRosterChange({ tx, cellId, previous, state, parsed, body })
      if (change.kind === 'remove') {
        await markMembershipRemoved(tx, { cellId, userId: memberId })
        // Their sessions end now: « Mes cellules » tells them why at their next login.
        await noteMembershipChange(tx, { cellId, userId: memberId, notice: 'removed' })
        const sessionsRevoked = await revokeAllSessions(tx, memberId)
        await recordAudit(tx, { type: 'cell.member.removed', outcome: 'success', data: { memberId, newEpoch: body.epoch, sessionsRevoked } }, audit)
        return
      }
      const { role } = change.body
      if (link?.type !== 'set_role' || link.role !== role) throw new HttpError(422, 'Le rôle signé diffère du rôle demandé.')
      await setMembershipRole(tx, { cellId, userId: memberId, role })
      await noteMembershipChange(tx, { cellId, userId: memberId, notice: 'role_changed' })
      // DESIGN §4: a role change ends the person's sessions, so no page keeps what the old role showed.
      const sessionsRevoked = await revokeAllSessions(tx, memberId)
      await recordAudit(tx, { type: 'cell.member.role_changed', outcome: 'success', data: { memberId, role, newEpoch: body.epoch, sessionsRevoked } }, audit)
    }),
  )
}

import { type ActionFunctionArgs } from '@remix-run/node'
import { findProfession } from '#charter/professions.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findUserById } from '#db/accounts.ts'
import { findCellInvitation, markInvitation, markKeysConfirmed, upsertActiveMembership } from '#db/cells.ts'
import { isUuid, requireCellPermission } from '#app/access/authorize.server.ts'
import { withRosterRace } from '#app/cells/http.server.ts'
import { registeredIdentity, sameKeys } from '#app/cells/identity.server.ts'
import { appendRosterLinksChecked } from '#app/cells/roster.server.ts'
import { storeRosterChange } from '#app/cells/rotation.server.ts'
import { confirmInvitationSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'

/**
 * After comparing the SAS in person, the coordinator's browser signs add_member (or, for a
 * re-admission, the key_change the member self-signed, with the rotation it requires) with the
 * newcomer's registered keys, and seals them the keys their role opens.
 */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:member:confirm' })
  const body = await readJson(request, confirmInvitationSchema)
  const db = context.runtime.db.db
  const cellId = principal.cell.id
  const invitationId = params.invitationId ?? ''
  const invitation = isUuid(invitationId) ? await findCellInvitation(db, invitationId) : undefined
  if (!invitation || invitation.cellId !== cellId || invitation.kind === 'founding') throw new HttpError(404, 'Invitation introuvable.')
  if (invitation.status === 'cancelled') throw new HttpError(410, 'Cette invitation a été annulée : refaites une invitation si la personne doit rejoindre la cellule.')
  if (invitation.status !== 'answered' || !invitation.answeredBy) throw new HttpError(409, 'La personne invitée n’a pas encore saisi son code.')
  const newcomerId = invitation.answeredBy
  const newcomer = await findUserById(db, newcomerId)
  const identity = await registeredIdentity(db, newcomerId)
  if (invitation.role !== 'associate' && invitation.role !== 'dpo' && findProfession(newcomer?.profession ?? '')?.category === 'none') {
    throw new HttpError(422, 'Cette personne n’exerce pas une profession soumise au secret (article R1110-2 du CSP) : elle ne peut être que membre associé ou DPO.')
  }

  await withRosterRace(() =>
    db.transaction(async tx => {
      const { previous, state, parsed } = await appendRosterLinksChecked({
        tx,
        cellId,
        authorId: principal.userId,
        links: body.links,
        // A re-admission's key_change requires a rotation (the old box key may be lost); a coordinator's arrival a new intake key.
        allowedTypes: invitation.kind === 'readmission' ? ['key_change', 'rotate_epoch', 'publish_intake_key'] : ['add_member', 'publish_intake_key'],
      })
      const link = parsed[0]
      const keys = link && (link.payload.type === 'add_member' || link.payload.type === 'key_change') ? link.payload : undefined
      if (!keys || !sameKeys({ identity, keys })) throw new HttpError(422, 'Le maillon doit porter les clés enregistrées de la personne invitée.')
      if (keys && 'role' in keys && keys.role !== invitation.role) throw new HttpError(422, 'Le rôle signé diffère du rôle de l’invitation.')
      await storeRosterChange({ tx, cellId, previous, state, parsed, body })
      if (invitation.kind === 'readmission') await markKeysConfirmed(tx, { cellId, userId: newcomerId })
      else await upsertActiveMembership(tx, { cellId, userId: newcomerId, role: invitation.role })
      await markInvitation(tx, { invitationId: invitation.id, status: 'confirmed' })
      await recordAudit(
        tx,
        { type: 'cell.member.confirmed', outcome: 'success', data: { invitationId: invitation.id, memberId: newcomerId, role: invitation.role, kind: invitation.kind } },
        { actorUserId: principal.userId, cellId, ipAddress: context.clientIp },
      )
    }),
  )
  return Response.json({ ok: true })
}

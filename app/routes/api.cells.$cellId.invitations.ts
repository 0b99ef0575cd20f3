import { type ActionFunctionArgs } from '@remix-run/node'
import { recordAudit } from '#db/journal/record.ts'
import { findUserByEmail } from '#db/accounts.ts'
import { findMembership, insertCellInvitation, reopenRemovedMembership } from '#db/cells.ts'
import { createInvitation, INVITATION_LIFETIME_MS, invitationLinkPath, normalizeEmailAddress } from '#db/invitations.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { createInvitationSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { assertRoleAllowedForProfession } from '#app/cells/members.server.ts'


/**
 * The coordinator invites someone (or re-admits a member whose account was reset). The code to hand
 * over in person is created in the coordinator's browser and never sent here.
 */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:member:invite' })
  const { email: rawEmail, role } = await readJson(request, createInvitationSchema)
  const email = normalizeEmailAddress(rawEmail)
  const db = context.runtime.db.db
  const cellId = principal.cell.id
  const account = await findUserByEmail(db, email)
  const membership = account ? await findMembership(db, { cellId, userId: account.id }) : undefined
  const readmission = Boolean(
    account && membership?.status === 'active' && account.needsReadmissionSince && account.needsReadmissionSince > membership.keysConfirmedAt,
  )
  if (membership?.status === 'active' && !readmission) throw new HttpError(409, 'Cette personne est déjà membre de la cellule.')
  // Rule 2 of the charter: nominative roles need a profession bound by secrecy (CSP R1110-2).
  if (account) assertRoleAllowedForProfession({ role, profession: account.profession, verb: 'invitez-la' })
  if (account && membership?.status === 'removed') await reopenRemovedMembership(db, { cellId, userId: account.id })
  const invitation = await insertCellInvitation(db, {
    cellId,
    kind: readmission ? 'readmission' : 'member',
    email,
    role: readmission && membership ? membership.role : role,
    createdBy: principal.userId,
    expiresAt: new Date(Date.now() + INVITATION_LIFETIME_MS),
  })
  const accountInvitation = account ? null : await createInvitation(db, { email, purpose: 'registration', createdBy: principal.userId })
  await recordAudit(db, { type: 'cell.member.invited', outcome: 'success', data: { invitationId: invitation.id, role: invitation.role, kind: invitation.kind } }, { actorUserId: principal.userId, cellId, ipAddress: context.clientIp })
  return Response.json({
    invitationId: invitation.id,
    kind: invitation.kind,
    joinPath: `/rejoindre/${invitation.id}`,
    accountPath: accountInvitation ? invitationLinkPath(accountInvitation.token, `/rejoindre/${invitation.id}`) : null,
  })
}

import { type ActionFunctionArgs } from '@remix-run/node'
import { recordAudit } from '#db/journal/record.ts'
import { findUserByEmail } from '#db/accounts.ts'
import { findMembership, findOpenInvitationFor, insertCellInvitation, lockCellForInvitations, reopenRemovedMembership } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { createInvitation, INVITATION_LIFETIME_MS, invitationLinkPath, normalizeEmailAddress } from '#db/invitations.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { publicOrigin, sendInvitationMail } from '#app/cells/invitation-mail.server.ts'
import { assertRoleAllowedForProfession } from '#app/cells/members.server.ts'
import { createInvitationSchema } from '#app/cells/schemas.ts'
import { postOnly, readJson } from '#app/utils/http.server.ts'

/**
 * The coordinator invites someone (or re-admits a member whose account was reset). The code to hand
 * over in person is created in the coordinator's browser and never sent here; the e-mail, when the
 * deployment can send one, carries the links only.
 */
export const loader = postOnly

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:member:invite' })
  const { email: rawEmail, role } = await readJson(request, createInvitationSchema)
  const email = normalizeEmailAddress(rawEmail)
  const cellId = principal.cell.id
  const created = await context.runtime.db.db.transaction(async transaction => {
    const tx = transaction as unknown as Database
    await lockCellForInvitations(tx, cellId)
    const account = await findUserByEmail(tx, email)
    const membership = account ? await findMembership(tx, { cellId, userId: account.id }) : undefined
    const readmission = Boolean(
      account && membership?.status === 'active' && account.needsReadmissionSince && account.needsReadmissionSince > membership.keysConfirmedAt,
    )
    if (membership?.status === 'active' && !readmission) throw new HttpError(409, 'Cette personne est déjà membre de la cellule.', { fieldErrors: { email: ['Cette personne est déjà membre de la cellule.'] } })
    if (await findOpenInvitationFor(tx, { cellId, email })) {
      const message = 'Une invitation est déjà en cours pour cette adresse : confirmez-la, ou annulez-la depuis « Invitations en cours » avant d’en créer une autre.'
      throw new HttpError(409, message, { fieldErrors: { email: ['Une invitation est déjà en cours pour cette adresse.'] } })
    }
    // Rule 2 of the charter: nominative roles need a profession bound by secrecy (CSP R1110-2).
    if (account) assertRoleAllowedForProfession({ role, profession: account.profession, verb: 'invitez-la' })
    if (account && membership?.status === 'removed') await reopenRemovedMembership(tx, { cellId, userId: account.id })
    const invitation = await insertCellInvitation(tx, {
      cellId,
      kind: readmission ? 'readmission' : 'member',
      email,
      role: readmission && membership ? membership.role : role,
      createdBy: principal.userId,
      expiresAt: new Date(Date.now() + INVITATION_LIFETIME_MS),
    })
    const accountInvitation = account ? null : await createInvitation(tx, { email, purpose: 'registration', createdBy: principal.userId })
    await recordAudit(tx, { type: 'cell.member.invited', outcome: 'success', data: { invitationId: invitation.id, role: invitation.role, kind: invitation.kind } }, { actorUserId: principal.userId, cellId, ipAddress: context.clientIp })
    return { invitation, accountPath: accountInvitation ? invitationLinkPath(accountInvitation.token, `/rejoindre/${invitation.id}`) : null }
  })
  const { invitation, accountPath } = created
  const joinPath = `/rejoindre/${invitation.id}`
  // After the commit: a mail server that fails or is slow never undoes the invitation.
  const origin = publicOrigin({ request, context })
  const mailSent = await sendInvitationMail({ context, to: email, joinUrl: `${origin}${joinPath}`, accountUrl: accountPath ? `${origin}${accountPath}` : null })
  return Response.json({ invitationId: invitation.id, kind: invitation.kind, joinPath, accountPath, mailSent })
}

import { type z } from 'zod'
import { recordAudit } from '#db/journal/record.ts'
import { findUserByEmail } from '#db/accounts.ts'
import { cancelCellInvitation, closeReopenedMembership, findCellInvitation, findOpenInvitationFor } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { isUuid, type CellPrincipal } from '#app/access/authorize.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { type cancelInvitationSchema } from './schemas.ts'

type CancelReason = z.infer<typeof cancelInvitationSchema>['reason']

/** What the coordinator reads once the invitation is cancelled: what happened, and what to do next. */
export const CANCELLED_MESSAGES: Record<CancelReason, string> = {
  withdrawn: 'Invitation annulée : son lien ne permet plus de rejoindre la cellule.',
  codes_differ:
    'Invitation annulée, car les codes de vérification différaient : quelqu’un a peut-être substitué ses clés à celles de la personne. Ne confirmez rien ; prévenez le ou la DPO, puis refaites une invitation et remettez le nouveau code en personne.',
}

/**
 * Cancels an open invitation of the cell and journals why, in one transaction. A removed person
 * whose re-invitation is withdrawn is removed again, as before it.
 */
export async function cancelInvitation({ db, principal, invitationId, reason, clientIp }: { db: Database; principal: CellPrincipal; invitationId: string; reason: CancelReason; clientIp: string | null | undefined }) {
  const cellId = principal.cell.id
  if (!isUuid(invitationId)) throw new HttpError(404, 'Invitation introuvable.')
  await db.transaction(async transaction => {
    const tx = transaction as unknown as Database
    // Tenant scoping: an invitation of another cell is not found through this one.
    const existing = await findCellInvitation(tx, invitationId.toLowerCase())
    if (!existing || existing.cellId !== cellId) throw new HttpError(404, 'Invitation introuvable.')
    if (existing.kind === 'founding') throw new HttpError(409, 'Une invitation de fondation ne s’annule pas ici.')
    const invitation = await cancelCellInvitation(tx, { cellId, invitationId: existing.id })
    if (!invitation) throw new HttpError(409, 'Cette invitation n’est plus en cours (déjà confirmée ou annulée) : rechargez la page.')
    const account = await findUserByEmail(tx, invitation.email)
    if (account && !(await findOpenInvitationFor(tx, { cellId, email: invitation.email }))) await closeReopenedMembership(tx, { cellId, userId: account.id })
    await recordAudit(tx, { type: 'cell.invitation.cancelled', outcome: 'success', data: { invitationId: invitation.id, reason } }, { actorUserId: principal.userId, cellId, ipAddress: clientIp ?? null })
  })
  return { message: CANCELLED_MESSAGES[reason] }
}

import { z } from 'zod'
import { findUserById } from '#db/accounts.ts'
import { dismissMembershipNotice, listMyCells, listPendingInvitationsFor } from '#db/cells.ts'
import { type Database } from '#db/database.ts'

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' })

/**
 * « Mes cellules »: the cells the person may open (active or suspended), the invitations waiting for
 * them with the role they carry, and what changed without them (a removal, a role change: their
 * sessions ended with it) until they say they have read it.
 */
export async function myCellsView(db: Database, userId: string) {
  const user = await findUserById(db, userId)
  const mine = await listMyCells(db, userId)
  const invitations = user ? await listPendingInvitationsFor(db, user.email) : []
  return {
    // A removed person, or one invited again and not yet confirmed, has no cell to open: it would be a 403.
    cells: mine.filter(cell => cell.status === 'active' || cell.status === 'suspended').map(({ notice: _notice, noticeAt: _noticeAt, ...cell }) => cell),
    invitations,
    notices: mine.flatMap(cell =>
      cell.notice && cell.noticeAt ? [{ cellId: cell.id, cellName: cell.name, notice: cell.notice, role: cell.role, at: dateFormat.format(cell.noticeAt) }] : [],
    ),
  }
}

export const dismissNoticeSchema = z.object({ intent: z.literal('notice-dismissed'), cellId: z.string().uuid('Identifiant de cellule invalide.') })

/** The person has read a notice: it goes (the guard journaled the request). False if there was none (already read). */
export async function dismissNotice({ db, userId, cellId }: { db: Database; userId: string; cellId: string }): Promise<boolean> {
  return (await dismissMembershipNotice(db, { cellId, userId })) !== undefined
}

/** How many notices wait for the person (« Mon compte » points to « Mes cellules »). */
export async function pendingNoticeCount(db: Database, userId: string): Promise<number> {
  return (await listMyCells(db, userId)).filter(cell => cell.notice !== null).length
}

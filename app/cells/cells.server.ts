import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findUserByEmail } from '#db/accounts.ts'
import { archiveEmptyCell, findCellInServiceByName, insertCell, insertCellInvitation, lockCellDirectory, type ArchiveOutcome } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { createInvitation, INVITATION_LIFETIME_MS, normalizeEmailAddress } from '#db/invitations.ts'

export type NewCell = { name: string; communes: string[]; hostInstitution: string; dpoContact: string; coordinatorEmail: string }

/** A cell in service already has this name (case and spacing aside): a second click must not make a twin. */
export class CellNameTakenError extends Error {
  override name = 'CellNameTakenError'
}

function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 50)
  return `${base || 'cellule'}-${crypto.randomUUID().slice(0, 6)}`
}

/**
 * The platform admin creates the cell row and charter version 1 (the default charter) and invites
 * the first coordinator; no key exists yet: the coordinator's browser creates them when founding.
 * Returns the links to hand over (an account invitation too when the person has no account).
 * Throws CellNameTakenError when a cell in service has the same name.
 */
export async function createCellWithFounder({ db, values, adminId }: { db: Database; values: NewCell; adminId: string }) {
  const email = normalizeEmailAddress(values.coordinatorEmail)
  const hash = await charterHash(DEFAULT_CHARTER)
  const existingAccount = await findUserByEmail(db, email)
  const result = await db.transaction(async tx => {
    await lockCellDirectory(tx)
    if (await findCellInServiceByName(tx, values.name)) throw new CellNameTakenError(values.name)
    const cell = await insertCell(tx, {
      slug: slugify(values.name),
      name: values.name,
      communes: values.communes,
      hostInstitution: values.hostInstitution,
      dpoContact: values.dpoContact,
      createdBy: adminId,
      charter: DEFAULT_CHARTER,
      charterHash: hash,
    })
    const invitation = await insertCellInvitation(tx, {
      cellId: cell.id,
      kind: 'founding',
      email,
      role: 'coordinator',
      createdBy: adminId,
      expiresAt: new Date(Date.now() + INVITATION_LIFETIME_MS),
    })
    await recordAudit(tx, { type: 'cell.created', outcome: 'success', data: { invitationId: invitation.id } }, { actorUserId: adminId, cellId: cell.id })
    return { cell, invitation }
  })
  const accountInvitation = existingAccount ? null : await createInvitation(db, { email, purpose: 'registration', createdBy: adminId })
  return { ...result, accountToken: accountInvitation?.token ?? null }
}

/** The platform admin archives an empty cell (db/cells.ts archiveEmptyCell), journaled in the cell. */
export async function archiveCell({ db, cellId, adminId }: { db: Database; cellId: string; adminId: string }): Promise<ArchiveOutcome> {
  return db.transaction(async tx => {
    const outcome = await archiveEmptyCell(tx, cellId)
    if (outcome.archived) await recordAudit(tx, { type: 'cell.archived', outcome: 'success', data: { invitationsCancelled: outcome.invitationsCancelled } }, { actorUserId: adminId, cellId })
    return outcome
  })
}

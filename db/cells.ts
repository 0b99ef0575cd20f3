import { and, asc, desc, eq, gt, inArray, isNull, notInArray, or, sql } from 'drizzle-orm'
import { z } from 'zod'
import { charterSchema, type Charter } from '#charter/schema.ts'
import { type Database } from './database.ts'
import { parseStored } from './stored-value.ts'
import { cellCharters, cellInvitations, cellKeyBlobs, cells, charterSignatures, memberships, rosterLinks, users, type StoredInvitationAnswer } from './schema.ts'

/** Tenant scoping lives here: every helper touching a cell's tables takes its id (STYLE "Data"). */

type Reader = Pick<Database, 'select'>
type Writer = Pick<Database, 'insert' | 'update' | 'delete' | 'select'>

export type Cell = typeof cells.$inferSelect
export type Membership = typeof memberships.$inferSelect
export type CellInvitation = typeof cellInvitations.$inferSelect
export type CharterVersion = typeof cellCharters.$inferSelect

function parsedCharter(row: CharterVersion): CharterVersion {
  return { ...row, content: parseStored({ schema: charterSchema, value: row.content, where: `cell_charters(${row.cellId}, ${row.version}).content` }) }
}

const invitationAnswerSchema = z
  .object({ memberId: z.string().uuid(), signPublicKey: z.string().min(1), boxPublicKey: z.string().min(1), proof: z.string().min(1), keyChangeSignature: z.string().min(1).optional() })
  .strict() satisfies z.ZodType<StoredInvitationAnswer>

function parsedInvitation(row: CellInvitation): CellInvitation {
  return row.answer === null ? row : { ...row, answer: parseStored({ schema: invitationAnswerSchema, value: row.answer, where: `cell_invitations(${row.id}).answer` }) }
}

/** Public directory of the cells in service (names and communes only): what a referring doctor may look up. */
export async function listCellDirectory(db: Reader) {
  return db
    .select({ slug: cells.slug, name: cells.name, communes: cells.communes, hostInstitution: cells.hostInstitution })
    .from(cells)
    .where(isNull(cells.archivedAt))
    .orderBy(asc(cells.name))
}

/** A cell name as two cells in service may not share it: case, spacing and Unicode spelling aside. */
export function cellNameKey(name: string): string {
  return name.normalize('NFC').replace(/\s+/g, ' ').trim().toLocaleLowerCase('fr-FR')
}

/**
 * Serialises cell creations and archivings for the rest of the transaction, so that the name check
 * and the insert of two concurrent requests cannot interleave (no unique index: see decision 024).
 */
export async function lockCellDirectory(tx: Pick<Database, 'execute'>) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('cellule:cell-directory'))`)
}

/** The cell in service whose name is this one (cellNameKey), if any. */
export async function findCellInServiceByName(db: Reader, name: string): Promise<Cell | undefined> {
  const key = cellNameKey(name)
  const candidates = await db.select().from(cells).where(isNull(cells.archivedAt))
  return candidates.find(cell => cellNameKey(cell.name) === key)
}

/** How many people a cell holds or is taking in: active, suspended or invited memberships. */
export async function countPeopleInCell(db: Reader, cellId: string): Promise<number> {
  const [row] = await db
    .select({ total: sql<number>`count(*)::int` })
    .from(memberships)
    .where(and(eq(memberships.cellId, cellId), inArray(memberships.status, ['active', 'suspended', 'invited'])))
  return Number(row?.total ?? 0)
}

export type ArchiveOutcome = { archived: true; invitationsCancelled: number } | { archived: false; reason: 'not_found' | 'already_archived' | 'not_empty' }

/**
 * Archives a cell nobody holds or is taking in (no active, suspended or invited member): it leaves
 * the public directory and its open invitations are cancelled. Its rows stay (the journal refers to them).
 */
export async function archiveEmptyCell(tx: Writer & Pick<Database, 'execute'>, cellId: string): Promise<ArchiveOutcome> {
  await lockCellDirectory(tx)
  const [cell] = await tx.select().from(cells).where(eq(cells.id, cellId)).for('update')
  if (!cell) return { archived: false, reason: 'not_found' }
  if (cell.archivedAt) return { archived: false, reason: 'already_archived' }
  if ((await countPeopleInCell(tx, cellId)) > 0) return { archived: false, reason: 'not_empty' }
  const cancelled = await tx
    .update(cellInvitations)
    .set({ status: 'cancelled' })
    .where(and(eq(cellInvitations.cellId, cellId), inArray(cellInvitations.status, ['pending', 'answered'])))
    .returning({ id: cellInvitations.id })
  await tx.update(cells).set({ archivedAt: new Date() }).where(eq(cells.id, cellId))
  return { archived: true, invitationsCancelled: cancelled.length }
}

/** Every cell, newest first, with how many people it holds or is taking in (an empty one may be archived). */
export async function listCellsForAdmin(db: Reader) {
  const people = sql<number>`(select count(*)::int from ${memberships} where ${memberships.cellId} = ${cells.id} and ${memberships.status} in ('active', 'suspended', 'invited'))`
  return db
    .select({ id: cells.id, name: cells.name, communes: cells.communes, hostInstitution: cells.hostInstitution, createdAt: cells.createdAt, archivedAt: cells.archivedAt, people })
    .from(cells)
    .orderBy(desc(cells.createdAt))
}

export async function findCell(db: Reader, cellId: string): Promise<Cell | undefined> {
  const [cell] = await db.select().from(cells).where(eq(cells.id, cellId))
  return cell
}

export async function insertCell(
  tx: Writer,
  values: { slug: string; name: string; communes: string[]; hostInstitution: string; dpoContact: string; createdBy: string | null; charter: Charter; charterHash: string },
): Promise<Cell> {
  const { charter, charterHash, ...cellValues } = values
  const [cell] = await tx.insert(cells).values({ ...cellValues, currentCharterVersion: 1 }).returning()
  if (!cell) throw new Error('cell insert returned nothing')
  await tx.insert(cellCharters).values({ cellId: cell.id, version: 1, content: charter, hash: charterHash, publishedBy: values.createdBy })
  return cell
}

export async function findMembership(db: Reader, { cellId, userId }: { cellId: string; userId: string }): Promise<Membership | undefined> {
  const [membership] = await db.select().from(memberships).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, userId)))
  return membership
}

export async function listMyCells(db: Reader, userId: string) {
  return db
    .select({ id: cells.id, name: cells.name, communes: cells.communes, role: memberships.role, status: memberships.status, notice: memberships.notice, noticeAt: memberships.noticeAt })
    .from(memberships)
    .innerJoin(cells, eq(cells.id, memberships.cellId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(cells.name))
}

export async function listMembers(db: Reader, cellId: string) {
  return db
    .select({
      userId: memberships.userId,
      role: memberships.role,
      status: memberships.status,
      keysConfirmedAt: memberships.keysConfirmedAt,
      removedAt: memberships.removedAt,
      displayName: users.displayName,
      email: users.email,
      profession: users.profession,
      needsReadmissionSince: users.needsReadmissionSince,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.cellId, cellId))
    .orderBy(asc(users.displayName))
}

export async function upsertActiveMembership(tx: Writer, { cellId, userId, role }: { cellId: string; userId: string; role: Membership['role'] }) {
  await tx
    .insert(memberships)
    .values({ cellId, userId, role, status: 'active', keysConfirmedAt: new Date() })
    .onConflictDoUpdate({ target: [memberships.cellId, memberships.userId], set: { role, status: 'active', keysConfirmedAt: new Date(), removedAt: null, notice: null, noticeAt: null } })
}

/** A person removed earlier may be invited again: the policy accepts invitations for 'invited' only. */
export async function reopenRemovedMembership(tx: Writer, { cellId, userId }: { cellId: string; userId: string }) {
  await tx
    .update(memberships)
    .set({ status: 'invited' })
    .where(and(eq(memberships.cellId, cellId), eq(memberships.userId, userId), eq(memberships.status, 'removed')))
}

/** An invitation of a removed person withdrawn: they are removed again, as before the invitation. */
export async function closeReopenedMembership(tx: Writer, { cellId, userId }: { cellId: string; userId: string }) {
  await tx
    .update(memberships)
    .set({ status: 'removed' })
    .where(and(eq(memberships.cellId, cellId), eq(memberships.userId, userId), eq(memberships.status, 'invited')))
}

/** Keeps what the person must be told at their next visit: their sessions end with the change, without a word. */
export async function noteMembershipChange(tx: Writer, { cellId, userId, notice }: { cellId: string; userId: string; notice: NonNullable<Membership['notice']> }) {
  await tx.update(memberships).set({ notice, noticeAt: new Date() }).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, userId)))
}

/** The person has read the notice: it is cleared; returns what it said (undefined if there was none). */
export async function dismissMembershipNotice(tx: Writer, { cellId, userId }: { cellId: string; userId: string }) {
  const mine = and(eq(memberships.cellId, cellId), eq(memberships.userId, userId))
  const [row] = await tx.select({ notice: memberships.notice }).from(memberships).where(mine)
  if (!row?.notice) return undefined
  await tx.update(memberships).set({ notice: null, noticeAt: null }).where(mine)
  return row.notice
}

export async function setMembershipRole(tx: Writer, { cellId, userId, role }: { cellId: string; userId: string; role: Membership['role'] }) {
  await tx.update(memberships).set({ role }).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, userId)))
}

export async function markMembershipRemoved(tx: Writer, { cellId, userId }: { cellId: string; userId: string }) {
  await tx.update(memberships).set({ status: 'removed', removedAt: new Date() }).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, userId)))
}

export async function markKeysConfirmed(tx: Writer, { cellId, userId }: { cellId: string; userId: string }) {
  await tx.update(memberships).set({ keysConfirmedAt: new Date() }).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, userId)))
}

// Charter

export async function listCharterVersions(db: Reader, cellId: string): Promise<CharterVersion[]> {
  const rows = await db.select().from(cellCharters).where(eq(cellCharters.cellId, cellId)).orderBy(asc(cellCharters.version))
  return rows.map(parsedCharter)
}

/** One version, its content parsed with the charter schema (a row altered in the database throws StoredValueError). */
export async function findCharterVersion(db: Reader, { cellId, version }: { cellId: string; version: number }): Promise<CharterVersion | undefined> {
  const [charter] = await db.select().from(cellCharters).where(and(eq(cellCharters.cellId, cellId), eq(cellCharters.version, version)))
  return charter && parsedCharter(charter)
}

export async function insertCharterVersion(tx: Writer, values: { cellId: string; version: number; content: Charter; hash: string; publishedBy: string }) {
  await tx.insert(cellCharters).values(values)
  await tx.update(cells).set({ currentCharterVersion: values.version }).where(eq(cells.id, values.cellId))
}

export async function listCharterSignatures(db: Reader, cellId: string) {
  return db
    .select({
      userId: charterSignatures.userId,
      version: charterSignatures.version,
      hash: charterSignatures.hash,
      signature: charterSignatures.signature,
      signedAt: charterSignatures.signedAt,
      displayName: users.displayName,
    })
    .from(charterSignatures)
    .innerJoin(users, eq(users.id, charterSignatures.userId))
    .where(eq(charterSignatures.cellId, cellId))
    .orderBy(asc(charterSignatures.version), asc(users.displayName))
}

export async function latestSignedVersion(db: Reader, { cellId, userId }: { cellId: string; userId: string }): Promise<number | null> {
  const [row] = await db
    .select({ version: charterSignatures.version })
    .from(charterSignatures)
    .where(and(eq(charterSignatures.cellId, cellId), eq(charterSignatures.userId, userId)))
    .orderBy(desc(charterSignatures.version))
    .limit(1)
  return row?.version ?? null
}

export async function insertCharterSignature(tx: Writer, values: { cellId: string; userId: string; version: number; hash: string; signature: string }) {
  await tx.insert(charterSignatures).values(values).onConflictDoNothing()
}

// Roster and keys

export async function listRosterLinks(db: Reader, cellId: string) {
  return db.select().from(rosterLinks).where(eq(rosterLinks.cellId, cellId)).orderBy(asc(rosterLinks.seq))
}

/** Appends links; the primary key (cell, seq) makes two concurrent appends at one position fail. */
export async function appendRosterLinks(tx: Writer, links: { cellId: string; seq: number; link: string; linkType: string; authorId: string }[]) {
  if (links.length > 0) await tx.insert(rosterLinks).values(links)
}

/**
 * Sealed to one member (slot = their user id): the cell key and the blind-index key of an epoch, the
 * seed of an intake key (triage set only). Cell-wide (slot ''): the chains to the previous epoch.
 */
export type KeyBlobKind = 'cell_epoch_key' | 'index_key' | 'intake_seed' | 'previous_epoch' | 'previous_index_key'
const SEALED_KINDS: KeyBlobKind[] = ['cell_epoch_key', 'index_key', 'intake_seed']

export async function insertKeyBlobs(
  tx: Writer,
  blobs: { cellId: string; kind: KeyBlobKind; epoch: number; slot: string; blob: string }[],
  { replace = false }: { replace?: boolean } = {},
) {
  if (blobs.length === 0) return
  const insert = tx.insert(cellKeyBlobs).values(blobs)
  if (replace) {
    await insert.onConflictDoUpdate({ target: [cellKeyBlobs.cellId, cellKeyBlobs.kind, cellKeyBlobs.epoch, cellKeyBlobs.slot], set: { blob: sql`excluded.blob`, createdAt: new Date() } })
  } else {
    await insert
  }
}

/** The blobs a member may fetch: keys sealed to them only, and the cell-wide chains. */
export async function listKeyBlobsFor(db: Reader, { cellId, userId }: { cellId: string; userId: string }) {
  return db
    .select()
    .from(cellKeyBlobs)
    .where(and(eq(cellKeyBlobs.cellId, cellId), or(notInArray(cellKeyBlobs.kind, SEALED_KINDS), eq(cellKeyBlobs.slot, userId))))
    .orderBy(asc(cellKeyBlobs.epoch))
}

// Invitations

export async function insertCellInvitation(
  tx: Writer,
  values: { cellId: string; kind: CellInvitation['kind']; email: string; role: CellInvitation['role']; createdBy: string | null; expiresAt: Date },
): Promise<CellInvitation> {
  const [invitation] = await tx.insert(cellInvitations).values(values).returning()
  if (!invitation) throw new Error('invitation insert returned nothing')
  return invitation
}

/** One invitation, its answer (if any) parsed (a row altered in the database throws StoredValueError). */
export async function findCellInvitation(db: Reader, invitationId: string): Promise<CellInvitation | undefined> {
  const [invitation] = await db.select().from(cellInvitations).where(eq(cellInvitations.id, invitationId))
  return invitation && parsedInvitation(invitation)
}

export async function listOpenCellInvitations(db: Reader, cellId: string): Promise<CellInvitation[]> {
  const rows = await db
    .select()
    .from(cellInvitations)
    .where(and(eq(cellInvitations.cellId, cellId), inArray(cellInvitations.status, ['pending', 'answered']), isNull(cellInvitations.confirmedAt)))
    .orderBy(desc(cellInvitations.createdAt))
  return rows.map(parsedInvitation)
}

/** Invitations addressed to an e-mail that are still open, answered ones included (for « Mes cellules »). */
export async function listPendingInvitationsFor(db: Reader, email: string) {
  return db
    .select({ id: cellInvitations.id, kind: cellInvitations.kind, role: cellInvitations.role, invitationStatus: cellInvitations.status, cellId: cells.id, cellName: cells.name })
    .from(cellInvitations)
    .innerJoin(cells, eq(cells.id, cellInvitations.cellId))
    .where(and(eq(cellInvitations.email, email), inArray(cellInvitations.status, ['pending', 'answered']), gt(cellInvitations.expiresAt, new Date())))
    .orderBy(desc(cellInvitations.createdAt))
}

/** The open invitation of this address in this cell, if any: pending or answered, not expired. */
export async function findOpenInvitationFor(db: Reader, { cellId, email }: { cellId: string; email: string }): Promise<CellInvitation | undefined> {
  const [row] = await db
    .select()
    .from(cellInvitations)
    .where(and(eq(cellInvitations.cellId, cellId), eq(cellInvitations.email, email), inArray(cellInvitations.status, ['pending', 'answered']), gt(cellInvitations.expiresAt, new Date())))
    .limit(1)
  return row && parsedInvitation(row)
}

/**
 * Serialises invitation writes of one cell inside the caller's transaction (a row lock on the cell),
 * so two coordinators inviting the same address at once cannot both pass the duplicate check.
 */
export async function lockCellForInvitations(tx: Writer, cellId: string) {
  await tx.select({ id: cells.id }).from(cells).where(eq(cells.id, cellId)).for('update')
}

/** Cancels an open invitation of the cell; undefined if it was not open (already confirmed, cancelled or elsewhere). */
export async function cancelCellInvitation(tx: Writer, { cellId, invitationId }: { cellId: string; invitationId: string }): Promise<CellInvitation | undefined> {
  const [row] = await tx
    .update(cellInvitations)
    .set({ status: 'cancelled' })
    .where(and(eq(cellInvitations.id, invitationId), eq(cellInvitations.cellId, cellId), inArray(cellInvitations.status, ['pending', 'answered'])))
    .returning()
  return row && parsedInvitation(row)
}

export async function recordInvitationAnswer(tx: Writer, { invitationId, userId, answer }: { invitationId: string; userId: string; answer: StoredInvitationAnswer }) {
  const updated = await tx
    .update(cellInvitations)
    .set({ status: 'answered', answeredBy: userId, answer })
    .where(and(eq(cellInvitations.id, invitationId), eq(cellInvitations.status, 'pending')))
    .returning({ id: cellInvitations.id })
  return updated.length === 1
}

export async function markInvitation(tx: Writer, { invitationId, status }: { invitationId: string; status: 'confirmed' | 'cancelled' }) {
  await tx
    .update(cellInvitations)
    .set({ status, confirmedAt: status === 'confirmed' ? new Date() : null })
    .where(eq(cellInvitations.id, invitationId))
}

export async function markHabilitationReviewed(tx: Writer, cellId: string) {
  await tx.update(cells).set({ habilitationReviewedAt: new Date() }).where(eq(cells.id, cellId))
}

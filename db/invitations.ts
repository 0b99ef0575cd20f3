import { randomBytes, randomUUID } from 'node:crypto'
import { and, eq, isNull } from 'drizzle-orm'
import { z } from 'zod'
import { recordAudit } from './journal/record.ts'
import { type Database } from './database.ts'
import { invitations, users } from './schema.ts'
import { hashToken, newToken } from './tokens.ts'

export const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000

export type Invitation = typeof invitations.$inferSelect
export type InvitationPurpose = Invitation['purpose']

export class InvitationError extends Error {
  override name = 'InvitationError'
}

export function normalizeEmailAddress(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase()
}

/**
 * Creates a one-time link. A registration needs an e-mail without an account; a reset needs one with
 * an account (and keeps its id, so cells can recognise the person when they re-admit them).
 */
export async function createInvitation(
  db: Database,
  {
    email,
    purpose,
    platformRole = 'none',
    createdBy = null,
    now = new Date(),
  }: { email: string; purpose: InvitationPurpose; platformRole?: 'none' | 'platform_admin'; createdBy?: string | null; now?: Date },
): Promise<{ token: string; invitation: Invitation }> {
  const normalized = normalizeEmailAddress(email)
  // The same rule as the login form's, or the person could register but never log in.
  if (!z.string().min(1).max(254).email().safeParse(normalized).success) {
    throw new InvitationError(`Adresse électronique invalide : ${normalized} / invalid e-mail address`)
  }
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, normalized))
  if (purpose === 'registration' && existing) {
    throw new InvitationError(`Un compte existe déjà pour ${normalized} / an account already exists`)
  }
  if (purpose === 'account_reset' && !existing) {
    throw new InvitationError(`Aucun compte pour ${normalized} / no account for this address`)
  }
  const token = newToken()
  return db.transaction(async tx => {
    const [invitation] = await tx
      .insert(invitations)
      .values({
        tokenHash: hashToken(token),
        purpose,
        email: normalized,
        userId: existing?.id ?? randomUUID(),
        platformRole,
        saltSeed: randomBytes(32).toString('base64url'),
        createdBy,
        createdAt: now,
        expiresAt: new Date(now.getTime() + INVITATION_LIFETIME_MS),
      })
      .returning()
    if (!invitation) throw new Error('invitation insert returned nothing')
    await recordAudit(tx, { type: 'account.invitation.created', outcome: 'success', data: { invitationId: invitation.id, purpose } }, { actorUserId: createdBy })
    return { token, invitation }
  })
}

/**
 * The path of a one-time account link. The token goes in the fragment, which browsers never send:
 * the server, proxies and request logs see `/invitation` only. `suite` is where to go afterwards.
 */
export function invitationLinkPath(token: string, suite?: string): string {
  return `/invitation${suite ? `?suite=${encodeURIComponent(suite)}` : ''}#${token}`
}

export type InvitationLookup = { status: 'valid'; invitation: Invitation } | { status: 'unknown' | 'expired' | 'used' }

export async function lookupInvitation(db: Pick<Database, 'select'>, token: string, now = new Date()): Promise<InvitationLookup> {
  const [invitation] = await db.select().from(invitations).where(eq(invitations.tokenHash, hashToken(token)))
  if (!invitation) return { status: 'unknown' }
  if (invitation.usedAt) return { status: 'used' }
  if (invitation.expiresAt.getTime() <= now.getTime()) return { status: 'expired' }
  return { status: 'valid', invitation }
}

/** Marks the link used; false when another request used it first (the caller's transaction rolls back). */
export async function consumeInvitation(tx: Pick<Database, 'update'>, invitationId: string, now = new Date()): Promise<boolean> {
  const used = await tx
    .update(invitations)
    .set({ usedAt: now })
    .where(and(eq(invitations.id, invitationId), isNull(invitations.usedAt)))
    .returning({ id: invitations.id })
  return used.length === 1
}

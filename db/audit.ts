import { z } from 'zod'
import { type Database } from './database.ts'
import { type AuditAction } from '#journal/actions.ts'
import { appendAuditEvent } from './audit-store/write.ts'

/**
 * Security events as a discriminated union: a `type` literal, an outcome and zod-validated `data`
 * (STYLE "Data"). Changing a shape needs a new type: rows are stored as JSON and never rewritten.
 */
const reason = <T extends [string, ...string[]]>(values: T) => z.object({ reason: z.enum(values) })
const nothing = z.object({}).strict()

export const auditEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('account.invitation_created'), outcome: z.literal('success'), data: z.object({ invitationId: z.string().uuid(), purpose: z.enum(['registration', 'account_reset']) }) }),
  z.object({ type: z.literal('account.registered'), outcome: z.literal('success'), data: z.object({ invitationId: z.string().uuid() }) }),
  z.object({ type: z.literal('account.invitation_refused'), outcome: z.literal('failure'), data: reason(['unknown', 'expired', 'used']) }),
  z.object({ type: z.literal('auth.login'), outcome: z.enum(['success', 'failure']), data: z.object({ reason: z.enum(['bad_credentials', 'throttled']).optional() }).strict() }),
  z.object({ type: z.literal('auth.mfa_enrolled'), outcome: z.literal('success'), data: nothing }),
  z.object({ type: z.literal('auth.mfa'), outcome: z.enum(['success', 'failure']), data: z.object({ reason: z.enum(['bad_code', 'replayed', 'throttled']).optional() }) }),
  z.object({ type: z.literal('auth.password_changed'), outcome: z.enum(['success', 'failure']), data: z.object({ reason: z.enum(['bad_credentials', 'throttled']).optional(), sessionsRevoked: z.number().int().optional() }) }),
  z.object({ type: z.literal('auth.recovered'), outcome: z.enum(['success', 'failure']), data: z.object({ reason: z.enum(['bad_recovery_code', 'throttled']).optional(), sessionsRevoked: z.number().int().optional() }) }),
  z.object({ type: z.literal('auth.account_reset'), outcome: z.literal('success'), data: z.object({ invitationId: z.string().uuid(), sessionsRevoked: z.number().int() }) }),
  z.object({ type: z.literal('auth.session_revoked'), outcome: z.literal('success'), data: z.object({ reason: z.enum(['user', 'logout', 'expired', 'removed_from_cell']) }) }),
  z.object({ type: z.literal('cell.created'), outcome: z.literal('success'), data: z.object({ invitationId: z.string().uuid() }) }),
  z.object({ type: z.literal('cell.founded'), outcome: z.literal('success'), data: z.object({ epoch: z.number().int() }) }),
  z.object({ type: z.literal('cell.member_invited'), outcome: z.literal('success'), data: z.object({ invitationId: z.string().uuid(), role: z.string(), kind: z.string() }) }),
  z.object({ type: z.literal('cell.member_confirmed'), outcome: z.literal('success'), data: z.object({ invitationId: z.string().uuid(), memberId: z.string().uuid(), role: z.string(), kind: z.string() }) }),
  z.object({ type: z.literal('cell.member_removed'), outcome: z.literal('success'), data: z.object({ memberId: z.string().uuid(), newEpoch: z.number().int().nullable(), sessionsRevoked: z.number().int() }) }),
  z.object({ type: z.literal('cell.member_role_changed'), outcome: z.literal('success'), data: z.object({ memberId: z.string().uuid(), role: z.string(), newEpoch: z.number().int().nullable(), sessionsRevoked: z.number().int() }) }),
  z.object({ type: z.literal('cell.charter_published'), outcome: z.literal('success'), data: z.object({ version: z.number().int() }) }),
  z.object({ type: z.literal('cell.charter_signed'), outcome: z.literal('success'), data: z.object({ version: z.number().int() }) }),
  z.object({ type: z.literal('cell.roster_attested'), outcome: z.literal('success'), data: z.object({ seq: z.number().int() }) }),
  z.object({ type: z.literal('cell.habilitations_reviewed'), outcome: z.literal('success'), data: z.object({}).strict() }),
])

export type AuditEvent = z.infer<typeof auditEventSchema>
export type AuditContext = { actorUserId?: string | null; cellId?: string | null; ipAddress?: string | null }

/** Each security event type and its action in the journal's closed vocabulary (db/audit-log/leaf.ts). */
export const AUDIT_TYPE_ACTIONS = {
  'account.invitation_created': 'account.invitation.created',
  'account.registered': 'account.registered',
  'account.invitation_refused': 'account.invitation.refused',
  'auth.login': 'auth.login',
  'auth.mfa_enrolled': 'auth.mfa.enrolled',
  'auth.mfa': 'auth.mfa',
  'auth.password_changed': 'auth.password.changed',
  'auth.recovered': 'auth.recovered',
  'auth.account_reset': 'auth.account.reset',
  'auth.session_revoked': 'auth.session.revoked',
  'cell.created': 'cell.created',
  'cell.founded': 'cell.founded',
  'cell.member_invited': 'cell.member.invited',
  'cell.member_confirmed': 'cell.member.confirmed',
  'cell.member_removed': 'cell.member.removed',
  'cell.member_role_changed': 'cell.member.role_changed',
  'cell.charter_published': 'cell.charter.published',
  'cell.charter_signed': 'cell.charter.signed',
  'cell.roster_attested': 'cell.roster.attested',
  'cell.habilitations_reviewed': 'cell.habilitations.reviewed',
} as const satisfies Record<AuditEvent['type'], AuditAction>

/** Anything with a transaction: the database or an open transaction, so the event commits with the change. */
type Executor = Pick<Database, 'execute'>

/**
 * Writes a security event into the journal d'accès (db/audit-store): queued in the caller's
 * transaction, sequenced into the Merkle log once it commits. The event's data and the actor
 * go to the purgeable detail; the member a removal or role change is about is its subject.
 */
export async function recordAudit(executor: Executor, event: AuditEvent, context: AuditContext = {}): Promise<string> {
  const parsed = auditEventSchema.parse(event)
  const subject = 'memberId' in parsed.data && typeof parsed.data.memberId === 'string' ? parsed.data.memberId : null
  return appendAuditEvent(executor, {
    action: AUDIT_TYPE_ACTIONS[parsed.type],
    outcome: parsed.outcome,
    cellId: context.cellId ?? null,
    detail: {
      actorUserId: context.actorUserId ?? null,
      ip: context.ipAddress ?? null,
      ...(subject ? { subjectUserId: subject, resource: `member:${subject}` } : {}),
      data: parsed.data,
    },
  })
}

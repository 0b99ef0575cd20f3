import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { sql } from 'drizzle-orm'
import { type JsonValue } from '#charter/canonical-json.ts'
import { auditActionSchema, auditOutcomeSchema, type AuditAction, type AuditOutcome } from '#journal/actions.ts'
import { computeCommitment, newSalt } from '#journal/leaf.ts'
import { type Database } from '../database.ts'

/**
 * The personal half of an event (who, from where, about what, why). It never enters the tree:
 * the leaf carries only its salted commitment, and the retention purge deletes it with its salt.
 */
/** Request metadata comes from headers and proxies: cut to length rather than refuse the request. */
const clipped = (length: number) =>
  z
    .string()
    .transform((value) => value.slice(0, length))
    .nullable()
    .optional()

export const auditDetailSchema = z
  .object({
    actorUserId: z.string().uuid().nullable(),
    /** The actor's role in the cell at decision time ('coordinator', 'dpo', …) or 'platform_admin'. */
    actorRole: z.string().max(40).nullable().optional(),
    ip: clipped(64),
    userAgent: clipped(300),
    requestId: clipped(100),
    /** Request method and path, without the query string (it could hold search terms). */
    route: clipped(300),
    /** The charter policy action that was decided, for guard events. */
    policyAction: z.string().max(60).nullable().optional(),
    /** What was touched: 'cell:<id>:members', 'member:<userId>', 'charter:<version>'… (resourceKey). */
    resource: z.string().max(200).nullable().optional(),
    /** The member an event is about (removal, role change), for the anomaly rules. */
    subjectUserId: z.string().uuid().nullable().optional(),
    /** The policy's refusal message, for denials. */
    reason: clipped(300),
    /** Event-specific, non-content data (ids, versions, counters). */
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
export type AuditDetail = z.infer<typeof auditDetailSchema>

export const auditEventInputSchema = z.object({
  action: auditActionSchema,
  outcome: auditOutcomeSchema,
  cellId: z.string().uuid().nullable(),
  detail: auditDetailSchema,
})
export type AuditEventInput = { action: AuditAction; outcome: AuditOutcome; cellId: string | null; detail: AuditDetail }

/** Anything that runs SQL: the database or an open transaction (the caller's). */
type Executor = Pick<Database, 'execute'>

/** Drops undefined keys (canonical JSON refuses them) and round-trips through JSON. */
function toJson(detail: AuditDetail): JsonValue {
  return JSON.parse(JSON.stringify(detail)) as JsonValue
}

/**
 * The journal could not be written. Carries the database's SQLSTATE only: the failed query's
 * parameters (identities, addresses, the salt) must not travel into logs with it.
 */
export class AuditWriteError extends Error {
  override name = 'AuditWriteError'
  readonly code: string | undefined
  constructor(cause: unknown) {
    super('audit event not written')
    let current: unknown = cause
    let code: string | undefined
    for (let depth = 0; current instanceof Error && depth < 4 && code === undefined; depth++) {
      const candidate = (current as Error & { code?: unknown }).code
      if (typeof candidate === 'string') code = candidate
      current = (current as Error & { cause?: unknown }).cause
    }
    this.code = code
  }
}

/**
 * Queues one event and its detail, atomically, in the caller's transaction: if the caller
 * rolls back, the event never existed; if this fails, the caller's transaction fails too
 * (fail-closed: no audit, no access). One statement (a data-modifying CTE writes both rows),
 * so the write path pays one round trip and no savepoint. Returns the event id.
 */
export async function appendAuditEvent(executor: Executor, input: AuditEventInput, { now = Date.now() }: { now?: number } = {}): Promise<string> {
  const event = auditEventInputSchema.parse(input)
  const detail = toJson(event.detail)
  const salt = newSalt()
  // Fails before touching the database if the detail cannot be committed to.
  const commitment = computeCommitment({ salt, detail })
  const eventId = randomUUID()
  const cellId = event.cellId?.toLowerCase() ?? null
  try {
    await executor.execute(sql`
      with queued as (
        insert into audit_queue (event_id, occurred_at_ms, cell_id, action, outcome, commitment)
        values (${eventId}, ${now}, ${cellId}, ${event.action}, ${event.outcome}, ${commitment})
        returning event_id
      )
      insert into audit_details (event_id, occurred_at_ms, cell_id, actor_user_id, resource_key, salt, detail)
      select event_id, ${now}, ${cellId}, ${event.detail.actorUserId}, ${event.detail.resource ?? null}, ${salt.toString('hex')}, ${JSON.stringify(detail)}::jsonb
      from queued`)
  } catch (error) {
    throw new AuditWriteError(error)
  }
  return eventId
}

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


/**
 * Writes a security event into the journal d'accès: queued in the caller's
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

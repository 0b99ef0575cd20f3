import { z } from 'zod'
import { type AuditAction } from '#journal/actions.ts'

/**
 * Every event the journal records, as one discriminated union on `type`: the action its leaf
 * carries (journal/actions.ts, one vocabulary), its outcome, zod-validated `data`, and for an
 * access decision what was decided about what. Who acted and from where is the context
 * (AuditContext), not the event. Situation, referral and meeting events join this list; the
 * compiler then asks for the action in journal/actions.ts and its label in app/journal/labels.ts.
 * A shape once written is never changed: rows are stored as JSON and never rewritten.
 */

/** Request metadata and policy messages come from headers, proxies and the policy: cut to length rather than refuse the request. */
const clipped = (length: number) =>
  z
    .string()
    .transform((value) => value.slice(0, length))
    .nullable()
    .optional()

const reason = <T extends [string, ...string[]]>(values: T) => z.object({ reason: z.enum(values) })
const nothing = z.object({}).strict()

/** What the guard decided (app/cells/cell-guard.server.ts), about what. */
const decision = {
  /** The charter policy action decided (`cell:members:read`…); absent for a signed-in read. */
  policyAction: z.string().max(60).nullable().optional(),
  /** What was touched: 'members', 'member:<userId>', 'journal'… (what « qui a consulté » searches). */
  resource: z.string().max(200).nullable().optional(),
  /** The policy's refusal message, for denials. */
  reason: clipped(300),
}

/** An access the guard allowed and recorded under its own action (reads, the export). */
function access<T extends AuditAction>(type: T) {
  return z.object({ type: z.literal(type), outcome: z.literal('success'), ...decision }).strict()
}

/** What « qui a consulté » was asked about; how many sealed cell keys a member fetched. */
const viewersData = z.object({ resource: z.string().max(200) }).strict()
const keysData = z.object({ epochKeysFetched: z.number().int() }).strict()

/** The same, with a few non-content figures about what was read. */
function accessWith<T extends AuditAction, D extends z.ZodTypeAny>(type: T, data: D) {
  return z.object({ type: z.literal(type), outcome: z.literal('success'), ...decision, data: data.optional() }).strict()
}

function event<T extends AuditAction, O extends z.ZodTypeAny, D extends z.ZodTypeAny>(type: T, outcome: O, data: D) {
  return z.object({ type: z.literal(type), outcome, data }).strict()
}

const success = z.literal('success')
const successOrFailure = z.enum(['success', 'failure'])

export const auditEventSchema = z.discriminatedUnion('type', [
  // Access decisions, allowed or denied, written by the guard in the decision's transaction.
  // A refusal (or another allowed action) keeps what the access it decided would have recorded.
  z.object({ type: z.literal('authz.granted'), outcome: success, ...decision, data: z.union([viewersData, keysData]).optional() }).strict(),
  z.object({ type: z.literal('authz.denied'), outcome: z.literal('denied'), ...decision, data: z.union([viewersData, keysData]).optional() }).strict(),
  access('cell.read'),
  access('cell.members.read'),
  access('cell.roster.read'),
  access('cell.charter.read'),
  access('cell.history.read'),
  accessWith('cell.keys.read', keysData),
  access('cell.invitation.read'),
  access('account.cells.read'),
  // The account's synced roster pins (decision 022): an opaque blob, read and written by its owner only.
  access('account.roster_pins.read'),
  access('account.roster_pins.written'),
  // A person says they read what happened to their membership (removal, role change), on « Mes cellules ».
  access('account.notice.dismissed'),
  access('platform.cells.read'),
  access('audit.timeline.read'),
  accessWith('audit.resource_viewers.read', viewersData),
  access('audit.export.created'),

  // Accounts and sign-in.
  event('account.invitation.created', success, z.object({ invitationId: z.string().uuid(), purpose: z.enum(['registration', 'account_reset']) })),
  event('account.registered', success, z.object({ invitationId: z.string().uuid() })),
  event('account.invitation.refused', z.literal('failure'), reason(['unknown', 'expired', 'used'])),
  event('auth.login', successOrFailure, z.object({ reason: z.enum(['bad_credentials', 'throttled']).optional() }).strict()),
  // Not written any more (a logout is auth.session.revoked, reason 'logout'); old leaves still say it.
  event('auth.logout', success, nothing),
  event('auth.mfa.enrolled', success, nothing),
  event('auth.mfa', successOrFailure, z.object({ reason: z.enum(['bad_code', 'replayed', 'throttled']).optional() })),
  event('auth.password.changed', successOrFailure, z.object({ reason: z.enum(['bad_credentials', 'throttled']).optional(), sessionsRevoked: z.number().int().optional() })),
  event('auth.recovered', successOrFailure, z.object({ reason: z.enum(['bad_recovery_code', 'throttled']).optional(), sessionsRevoked: z.number().int().optional() })),
  event('auth.account.reset', success, z.object({ invitationId: z.string().uuid(), sessionsRevoked: z.number().int() })),
  event('auth.session.revoked', success, z.object({ reason: z.enum(['user', 'logout', 'expired', 'removed_from_cell']) })),

  // The cell's life: founding, members, charter, roster.
  event('cell.created', success, z.object({ invitationId: z.string().uuid() })),
  event('cell.archived', success, z.object({ invitationsCancelled: z.number().int() })),
  event('cell.founded', success, z.object({ epoch: z.number().int() })),
  event('cell.member.invited', success, z.object({ invitationId: z.string().uuid(), role: z.string(), kind: z.string() })),
  // Withdrawn by the coordination, or cancelled because the verification codes differed (DESIGN §7).
  event('cell.invitation.cancelled', success, z.object({ invitationId: z.string().uuid(), reason: z.enum(['withdrawn', 'codes_differ']) }).strict()),
  event('cell.member.confirmed', success, z.object({ invitationId: z.string().uuid(), memberId: z.string().uuid(), role: z.string(), kind: z.string() })),
  event('cell.member.removed', success, z.object({ memberId: z.string().uuid(), newEpoch: z.number().int().nullable(), sessionsRevoked: z.number().int() })),
  event('cell.member.role_changed', success, z.object({ memberId: z.string().uuid(), role: z.string(), newEpoch: z.number().int().nullable(), sessionsRevoked: z.number().int() })),
  event('cell.charter.published', success, z.object({ version: z.number().int() })),
  event('cell.charter.signed', success, z.object({ version: z.number().int() })),
  event('cell.roster.attested', success, z.object({ seq: z.number().int() })),
  event('cell.habilitations.reviewed', success, z.object({}).strict()),

  // The journal's own life: the DPO's reviews and the retention purge.
  z
    .object({
      type: z.literal('audit.alert.reviewed'),
      outcome: success,
      resource: z.literal('journal'),
      data: z.object({ alertId: z.string().max(120), status: z.enum(['reviewed', 'escalated']) }).strict(),
    })
    .strict(),
  event(
    'audit.details.purged',
    success,
    z.object({ purged: z.number().int(), cutoffMs: z.number().int(), retentionMonths: z.number().int(), firstOccurredAtMs: z.number().int(), lastOccurredAtMs: z.number().int() }).strict(),
  ),
])

/** What a caller writes (recordAudit parses it); `type` is the journal action. */
export type AuditEvent = z.input<typeof auditEventSchema>
export type AuditEventType = AuditEvent['type']

/** Every action of the vocabulary has its event and no event lacks its action: a compile error otherwise. */
type Unrecorded = Exclude<AuditAction, AuditEventType>
type Unknown = Exclude<AuditEventType, AuditAction>
const _everyActionHasItsEvent: [Unrecorded, Unknown] extends [never, never] ? true : { unrecorded: Unrecorded; unknown: Unknown } = true

/** Who acted, from where, in which cell: the personal half of the detail, purged with it. */
export type AuditContext = {
  /** null for a platform event (sign-in, accounts, an unknown cell id). */
  cellId?: string | null
  actorUserId?: string | null
  /** The actor's role in the cell at decision time ('coordinator', 'dpo', …) or 'platform_admin'. */
  actorRole?: string | null
  ipAddress?: string | null
  userAgent?: string | null
  requestId?: string | null
  /** Request method and path, without the query string (it could hold search terms). */
  route?: string | null
  /** When it happened; tests and benchmarks back-date events, the application never does. */
  occurredAtMs?: number
}

/**
 * The stored detail (audit_details.detail), the personal half of an event: who, from where,
 * about what, why. It never enters the tree: the leaf carries only its salted commitment, and
 * the retention purge deletes it with its salt. Its shape is what existing rows hold; the
 * console reads it back.
 */
export const auditDetailSchema = z
  .object({
    actorUserId: z.string().uuid().nullable(),
    actorRole: z.string().max(40).nullable().optional(),
    ip: clipped(64),
    userAgent: clipped(300),
    requestId: clipped(100),
    route: clipped(300),
    policyAction: decision.policyAction,
    resource: decision.resource,
    /** The member an event is about (removal, role change), for the anomaly rules. */
    subjectUserId: z.string().uuid().nullable().optional(),
    reason: decision.reason,
    /** Event-specific, non-content data (ids, versions, counters). */
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
export type AuditDetail = z.infer<typeof auditDetailSchema>

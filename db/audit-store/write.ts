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

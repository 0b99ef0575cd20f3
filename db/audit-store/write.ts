import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { sql } from 'drizzle-orm'
import { type JsonValue } from '../audit-log/canonical.ts'
import { auditActionSchema, auditOutcomeSchema, computeCommitment, newSalt, type AuditAction, type AuditOutcome } from '../audit-log/leaf.ts'
import { type Database } from '../database.ts'

/**
 * The personal half of an event (who, from where, about what, why). It never enters the tree:
 * the leaf carries only its salted commitment, and the retention purge deletes it with its salt.
 */
export const auditDetailSchema = z
  .object({
    actorUserId: z.string().uuid().nullable(),
    /** The actor's role in the cell at decision time ('coordinator', 'dpo', …) or 'platform_admin'. */
    actorRole: z.string().max(40).nullable().optional(),
    ip: z.string().max(64).nullable().optional(),
    userAgent: z.string().max(300).nullable().optional(),
    requestId: z.string().max(100).nullable().optional(),
    /** Request method and path, without the query string (it could hold search terms). */
    route: z.string().max(300).nullable().optional(),
    /** The charter policy action that was decided, for guard events. */
    policyAction: z.string().max(60).nullable().optional(),
    /** What was touched: 'cell:<id>:members', 'member:<userId>', 'charter:<version>'… (resourceKey). */
    resource: z.string().max(200).nullable().optional(),
    /** The member an event is about (removal, role change), for the anomaly rules. */
    subjectUserId: z.string().uuid().nullable().optional(),
    /** The policy's refusal message, for denials. */
    reason: z.string().max(300).nullable().optional(),
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

export class AuditWriteError extends Error {
  override name = 'AuditWriteError'
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
    throw new AuditWriteError('audit event not written', { cause: error })
  }
  return eventId
}

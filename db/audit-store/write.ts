import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { canonicalJson, type JsonValue } from '../audit-log/canonical.ts'
import { auditActionSchema, auditOutcomeSchema, computeCommitment, newSalt, type AuditAction, type AuditOutcome } from '../audit-log/leaf.ts'
import { type Database } from '../database.ts'
import { auditDetails, auditQueue } from '../schema.ts'

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

/** Anything with a transaction: the database or an open transaction (then a savepoint). */
type Executor = Pick<Database, 'transaction'>

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
 * (fail-closed: no audit, no access). Returns the event id.
 */
export async function appendAuditEvent(executor: Executor, input: AuditEventInput, { now = Date.now() }: { now?: number } = {}): Promise<string> {
  const event = auditEventInputSchema.parse(input)
  const detail = toJson(event.detail)
  const salt = newSalt()
  const commitment = computeCommitment({ salt, detail })
  // Fail before touching the database if the detail cannot be committed to.
  canonicalJson(detail)
  const eventId = randomUUID()
  const cellId = event.cellId?.toLowerCase() ?? null
  try {
    await executor.transaction(async (tx) => {
      await tx.insert(auditQueue).values({ eventId, occurredAtMs: now, cellId, action: event.action, outcome: event.outcome, commitment })
      await tx.insert(auditDetails).values({
        eventId,
        occurredAtMs: now,
        cellId,
        actorUserId: event.detail.actorUserId,
        resourceKey: event.detail.resource ?? null,
        salt: salt.toString('hex'),
        detail,
      })
    })
  } catch (error) {
    throw new AuditWriteError('audit event not written', { cause: error })
  }
  return eventId
}

import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { z } from 'zod'
import { type JsonValue } from '#charter/canonical-json.ts'
import { type AuditAction, type AuditOutcome } from '#journal/actions.ts'
import { computeCommitment, newSalt } from '#journal/leaf.ts'
import { type Database } from '../database.ts'
import { auditDetailSchema, auditEventSchema, type AuditContext, type AuditDetail, type AuditEvent } from './events.ts'

/** Anything that runs SQL: the database or an open transaction (the caller's). */
type Executor = Pick<Database, 'execute'>

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

/** The keys of `values` that are set: an absent key stays absent in the detail (canonical JSON refuses undefined). */
function present<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>
}

/**
 * The stored detail of an event: actor and address always (null when unknown), the rest of the
 * context when given, then what the event says. A removal or role change names its member as
 * the subject and the resource, for the anomaly rules and « qui a consulté ».
 */
function detailOf({ event, context }: { event: z.output<typeof auditEventSchema>; context: AuditContext }): AuditDetail {
  const { type: _type, outcome: _outcome, ...said } = event
  const data = 'data' in said ? said.data : undefined
  const subject = data && 'memberId' in data && typeof data.memberId === 'string' ? data.memberId : null
  return auditDetailSchema.parse({
    actorUserId: context.actorUserId ?? null,
    ...present({ actorRole: context.actorRole }),
    ip: context.ipAddress ?? null,
    ...present({ userAgent: context.userAgent, requestId: context.requestId, route: context.route }),
    ...present(said),
    ...(subject ? { subjectUserId: subject, resource: `member:${subject}` } : {}),
  })
}

/**
 * The one way into the journal (DESIGN §11): queues the event and its detail atomically, in
 * the caller's transaction. If the caller rolls back, the event never existed; if this fails,
 * the caller's transaction fails too (fail-closed: no journal, no access). One statement (a
 * data-modifying CTE writes both rows), so the write path pays one round trip and no savepoint.
 * Sequenced into the Merkle log once it commits. Returns the event id.
 */
export async function recordAudit(executor: Executor, event: AuditEvent, context: AuditContext = {}): Promise<string> {
  const parsed = auditEventSchema.parse(event)
  const cellId = z.string().uuid().nullable().parse(context.cellId ?? null)?.toLowerCase() ?? null
  const now = context.occurredAtMs ?? Date.now()
  const detail = detailOf({ event: parsed, context })
  // Drops undefined keys and round-trips through JSON: what the database will hand back.
  const stored = JSON.parse(JSON.stringify(detail)) as JsonValue
  const salt = newSalt()
  // Fails before touching the database if the detail cannot be committed to.
  const commitment = computeCommitment({ salt, detail: stored })
  const eventId = randomUUID()
  try {
    await executor.execute(sql`
      with queued as (
        insert into audit_queue (event_id, occurred_at_ms, cell_id, action, outcome, commitment)
        values (${eventId}, ${now}, ${cellId}, ${parsed.type}, ${parsed.outcome}, ${commitment})
        returning event_id
      )
      insert into audit_details (event_id, occurred_at_ms, cell_id, actor_user_id, resource_key, salt, detail)
      select event_id, ${now}, ${cellId}, ${detail.actorUserId}, ${detail.resource ?? null}, ${salt.toString('hex')}, ${JSON.stringify(stored)}::jsonb
      from queued`)
  } catch (error) {
    throw new AuditWriteError(error)
  }
  return eventId
}

/** The guard's untyped shape: an action, its outcome, and the detail written out by hand. */
export type AuditEventInput = { action: AuditAction; outcome: AuditOutcome; cellId: string | null; detail: Omit<AuditDetail, 'subjectUserId'> }

/**
 * @deprecated The guard's call shape (app/cells/cell-guard.server.ts and one effect event of
 * api.cells.$cellId.roster.ts), kept while the access guard is rebuilt in parallel: it sorts the
 * detail back into context and event and goes through recordAudit, so the union still checks it.
 * New code calls recordAudit.
 */
export async function appendAuditEvent(executor: Executor, input: AuditEventInput, { now }: { now?: number } = {}): Promise<string> {
  const { actorUserId, actorRole, ip, userAgent, requestId, route, ...said } = input.detail
  // The union parses it: an action whose event does not take these fields is refused there.
  const event = { type: input.action, outcome: input.outcome, ...present(said) } as AuditEvent
  return recordAudit(executor, event, { cellId: input.cellId, actorUserId, ...present({ actorRole, userAgent, requestId, route }), ipAddress: ip, occurredAtMs: now })
}

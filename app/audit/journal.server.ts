import { and, desc, eq, inArray } from 'drizzle-orm'
import { sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { auditActionSchema, auditOutcomeSchema, type AuditAction, type AuditOutcome } from '#db/audit-log/leaf.ts'
import { queryRows, toSafeNumber } from '#db/audit-store/rows.ts'
import { sequencePending } from '#db/audit-store/sequencer.ts'
import { type Database } from '#db/database.ts'
import { rawPublicKey } from '#db/audit-log/keys.ts'
import { type LogSigner } from '#db/audit-store/checkpoints.ts'
import { appendAuditEvent, type AuditDetail } from '#db/audit-store/write.ts'
import { auditAlertReviews, auditCheckpoints, users } from '#db/schema.ts'
import { type AccessEvent } from './anomalies.ts'
import { RESOURCE_KEY } from './labels.ts'

export type JournalEvent = {
  eventId: string
  occurredAtMs: number
  action: AuditAction
  outcome: AuditOutcome
  /** Null until the sequencer has integrated the event into the log. */
  leafIndex: number | null
  cellSeq: number | null
  /** Null once the detail was purged (retention). */
  detail: {
    actorUserId: string | null
    actorRole: string | null
    resource: string | null
    policyAction: string | null
    reason: string | null
    ip: string | null
    subjectUserId: string | null
  } | null
}

/** A real calendar day: Date.parse would turn 2026-02-30 into 2 March. */
function isCalendarDay(value: string): boolean {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

const dateInput = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Date au format AAAA-MM-JJ attendue.').refine(isCalendarDay, 'Date invalide.')

/** "Older events" continue after the last shown one: its time and queue id, as `<ms>_<id>`. */
const cursorInput = z
  .string()
  .regex(/^\d{1,15}_\d{1,15}$/, 'Page demandée invalide : revenez au début du journal.')
  .transform((value) => {
    const [ms, id] = value.split('_').map(Number) as [number, number]
    return { ms, id }
  })

/** The timeline's filters, from the query string: every field optional, each one checked. */
export const journalFiltersSchema = z.object({
  membre: z.string().uuid('Membre inconnu.').optional(),
  ressource: z.string().max(200).regex(RESOURCE_KEY, 'Ressource inconnue.').optional(),
  action: z.enum(auditActionSchema.options, { errorMap: () => ({ message: 'Action inconnue : choisissez-la dans la liste.' }) }).optional(),
  resultat: z.enum(auditOutcomeSchema.options, { errorMap: () => ({ message: 'Résultat inconnu : choisissez-le dans la liste.' }) }).optional(),
  du: dateInput.optional(),
  au: dateInput.optional(),
  avant: cursorInput.optional(),
})
export type JournalFilters = z.infer<typeof journalFiltersSchema>

/** Midnight in Paris of a YYYY-MM-DD date, as epoch ms (the DPO thinks in local days). */
export function parisDayStartMs(day: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`)
  // Paris is UTC+1 or UTC+2: find the offset at that instant and correct once (DST days are fine at midnight).
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(utcMidnight))
  const hour = Number(parts.find((part) => part.type === 'hour')?.value ?? '0')
  return utcMidnight - hour * 3_600_000
}

/** The calendar day after a YYYY-MM-DD date ("au" is inclusive: up to the next midnight in Paris). */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}

type EventRow = {
  event_id: string
  queue_id: unknown
  occurred_at_ms: unknown
  action: string
  outcome: string
  leaf_index: unknown
  cell_seq: unknown
  detail: Record<string, unknown> | null
}

function toEvent(row: EventRow): JournalEvent & { queueId: number } {
  const detail = row.detail
  const text = (key: string) => (detail && typeof detail[key] === 'string' ? (detail[key] as string) : null)
  return {
    eventId: row.event_id,
    queueId: toSafeNumber(row.queue_id),
    occurredAtMs: toSafeNumber(row.occurred_at_ms),
    action: row.action as AuditAction,
    outcome: row.outcome as AuditOutcome,
    leafIndex: row.leaf_index === null ? null : toSafeNumber(row.leaf_index),
    cellSeq: row.cell_seq === null ? null : toSafeNumber(row.cell_seq),
    detail: detail
      ? {
          actorUserId: text('actorUserId'),
          actorRole: text('actorRole'),
          resource: text('resource'),
          policyAction: text('policyAction'),
          reason: text('reason'),
          ip: text('ip'),
          subjectUserId: text('subjectUserId'),
        }
      : null,
  }
}

function eventQuery({ cellId, where, limit }: { cellId: string; where: SQL[]; limit: number }): SQL {
  return sql`select q.event_id, q.id as queue_id, q.occurred_at_ms, q.action, q.outcome, l.leaf_index, l.cell_seq, d.detail
    from audit_queue q
    left join audit_leaves l on l.event_id = q.event_id
    left join audit_details d on d.event_id = q.event_id
    where q.cell_id = ${cellId} ${where.length > 0 ? sql`and ${sql.join(where, sql` and `)}` : sql``}
    order by q.occurred_at_ms desc, q.id desc
    limit ${limit}`
}

export const TIMELINE_PAGE_SIZE = 50

/** One page of the cell's events, newest first; `avant` continues after the last shown queue id. */
export async function listJournal(db: Database, { cellId, filters }: { cellId: string; filters: JournalFilters }) {
  const where: SQL[] = []
  if (filters.membre) where.push(sql`d.actor_user_id = ${filters.membre}`)
  if (filters.ressource) where.push(sql`d.resource_key = ${filters.ressource}`)
  if (filters.action) where.push(sql`q.action = ${filters.action}`)
  if (filters.resultat) where.push(sql`q.outcome = ${filters.resultat}`)
  if (filters.du) where.push(sql`q.occurred_at_ms >= ${parisDayStartMs(filters.du)}`)
  if (filters.au) where.push(sql`q.occurred_at_ms < ${parisDayStartMs(nextDay(filters.au))}`)
  if (filters.avant) where.push(sql`(q.occurred_at_ms, q.id) < (${filters.avant.ms}, ${filters.avant.id})`)
  const rows = await queryRows<EventRow>(db, eventQuery({ cellId, where, limit: TIMELINE_PAGE_SIZE + 1 }))
  const events = rows.map(toEvent)
  const hasMore = events.length > TIMELINE_PAGE_SIZE
  const page = events.slice(0, TIMELINE_PAGE_SIZE)
  const last = page[page.length - 1]
  return { events: page, nextBefore: hasMore && last ? `${last.occurredAtMs}_${last.queueId}` : null }
}

/** "Qui a consulté cette ressource": every access to it, grouped by person, newest first. */
export async function resourceViewers(db: Database, { cellId, resource }: { cellId: string; resource: string }) {
  const rows = await queryRows<EventRow>(db, eventQuery({ cellId, where: [sql`d.resource_key = ${resource}`], limit: 2_000 }))
  const events = rows.map(toEvent)
  const byActor = new Map<string, { actorUserId: string; count: number; denied: number; firstAtMs: number; lastAtMs: number }>()
  for (const event of events) {
    const actor = event.detail?.actorUserId
    if (!actor) continue
    const entry = byActor.get(actor) ?? { actorUserId: actor, count: 0, denied: 0, firstAtMs: event.occurredAtMs, lastAtMs: event.occurredAtMs }
    entry.count += 1
    if (event.outcome === 'denied') entry.denied += 1
    entry.firstAtMs = Math.min(entry.firstAtMs, event.occurredAtMs)
    entry.lastAtMs = Math.max(entry.lastAtMs, event.occurredAtMs)
    byActor.set(actor, entry)
  }
  return { viewers: [...byActor.values()].sort((a, b) => b.lastAtMs - a.lastAtMs), events: events.slice(0, 200), truncated: rows.length >= 2_000 }
}

/** The cell's events of the last `days` days in the shape the anomaly rules read, log order. */
export async function anomalyEvents(db: Database, { cellId, sinceMs }: { cellId: string; sinceMs: number }): Promise<AccessEvent[]> {
  // Alerts read sealed events only: seal what is pending first (a no-op when the server's sequencer is ahead).
  await sequencePending(db)
  // Sealed events only: their order is final, so an alert's id (its first event) never changes
  // under a review; events are sealed within about a second.
  const rows = await queryRows<EventRow>(db, eventQuery({ cellId, where: [sql`q.occurred_at_ms >= ${sinceMs}`, sql`l.leaf_index is not null`], limit: 50_000 }))
  return rows.reverse().map((row) => {
    const event = toEvent(row)
    return {
      eventId: event.eventId,
      leafIndex: event.leafIndex,
      cellId,
      occurredAtMs: event.occurredAtMs,
      action: event.action,
      outcome: event.outcome,
      actorUserId: event.detail?.actorUserId ?? null,
      subjectUserId: event.detail?.subjectUserId ?? null,
    }
  })
}

export type AlertReview = { alertId: string; status: 'reviewed' | 'escalated'; comment: string; reviewerName: string; createdAt: Date }

/** The latest review of each alert (reviews are insert-only: the newest row is the state). */
export async function latestReviews(db: Database, { cellId, alertIds }: { cellId: string; alertIds: readonly string[] }): Promise<Map<string, AlertReview>> {
  if (alertIds.length === 0) return new Map()
  const rows = await db
    .select({ alertId: auditAlertReviews.alertId, status: auditAlertReviews.status, comment: auditAlertReviews.comment, reviewerName: users.displayName, createdAt: auditAlertReviews.createdAt })
    .from(auditAlertReviews)
    .innerJoin(users, eq(users.id, auditAlertReviews.reviewerUserId))
    .where(and(eq(auditAlertReviews.cellId, cellId), inArray(auditAlertReviews.alertId, [...alertIds])))
    .orderBy(desc(auditAlertReviews.createdAt))
  const latest = new Map<string, AlertReview>()
  for (const row of rows) if (!latest.has(row.alertId)) latest.set(row.alertId, row)
  return latest
}

/** Integrity at a glance: how far the log is sealed and signed. */
export async function integrityStatus(db: Database, { cellId }: { cellId: string }) {
  const [counts] = await queryRows<{ total: unknown; sealed: unknown }>(
    db,
    sql`select count(*) as total, count(l.leaf_index) as sealed from audit_queue q left join audit_leaves l on l.event_id = q.event_id where q.cell_id = ${cellId}`,
  )
  const [checkpoint] = await db.select({ treeSize: auditCheckpoints.treeSize, signedAt: auditCheckpoints.signedAt }).from(auditCheckpoints).orderBy(desc(auditCheckpoints.treeSize)).limit(1)
  return { total: toSafeNumber(counts?.total ?? 0), sealed: toSafeNumber(counts?.sealed ?? 0), checkpoint: checkpoint ?? null }
}

/** The journal's public key and name, for the DPO to pin when verifying exports. */
export function journalKey(signer: LogSigner): { publicKey: string; origin: string } {
  return { publicKey: rawPublicKey(signer.key.publicKey).toString('base64'), origin: signer.origin }
}

/** Stores a DPO's review and its journal event together, or neither. */
export async function recordReview(
  db: Database,
  { cellId, alertId, status, comment, reviewerUserId, detail }: { cellId: string; alertId: string; status: 'reviewed' | 'escalated'; comment: string; reviewerUserId: string; detail: Omit<AuditDetail, 'actorUserId' | 'data' | 'resource'> },
) {
  await db.transaction(async (tx) => {
    await tx.insert(auditAlertReviews).values({ cellId, alertId, status, comment, reviewerUserId })
    await appendAuditEvent(tx, { action: 'audit.alert.reviewed', outcome: 'success', cellId, detail: { ...detail, actorUserId: reviewerUserId, resource: 'journal', data: { alertId, status } } })
  })
}

import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm'
import { type AuditAction, type AuditOutcome } from '#journal/actions.ts'
import { type Database } from '../database.ts'
import { auditAlertReviews, auditCheckpoints, users } from '../schema.ts'
import { type AuditContext } from './events.ts'
import { recordAudit } from './record.ts'
import { queryRows, toSafeNumber } from './rows.ts'
import { sequencePending } from './sequencer.ts'

/**
 * The DPO console's reads of one cell's journal, and its one write (a review). Every helper takes
 * the cell and filters by it: a cell's DPO never reads another cell's events (STYLE "Data").
 */

/** One event as the console reads it back: the queue row, its place in the log, and its detail. */
export type JournalEntry = {
  eventId: string
  /** The queue's order among events of the same millisecond: the timeline's cursor uses it. */
  queueId: number
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

type EntryRow = {
  event_id: string
  queue_id: unknown
  occurred_at_ms: unknown
  action: string
  outcome: string
  leaf_index: unknown
  cell_seq: unknown
  detail: Record<string, unknown> | null
}

function toEntry(row: EntryRow): JournalEntry {
  const detail = row.detail
  const text = (key: string) => (detail && typeof detail[key] === 'string' ? (detail[key] as string) : null)
  return {
    eventId: row.event_id,
    queueId: toSafeNumber(row.queue_id),
    occurredAtMs: toSafeNumber(row.occurred_at_ms),
    // The database's checks only let the sequencer's vocabulary in.
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

async function cellEntries(db: Database, { cellId, where, limit }: { cellId: string; where: SQL[]; limit: number }): Promise<JournalEntry[]> {
  const rows = await queryRows<EntryRow>(
    db,
    sql`select q.event_id, q.id as queue_id, q.occurred_at_ms, q.action, q.outcome, l.leaf_index, l.cell_seq, d.detail
      from audit_queue q
      left join audit_leaves l on l.event_id = q.event_id
      left join audit_details d on d.event_id = q.event_id
      where q.cell_id = ${cellId} ${where.length > 0 ? sql`and ${sql.join(where, sql` and `)}` : sql``}
      order by q.occurred_at_ms desc, q.id desc
      limit ${limit}`,
  )
  return rows.map(toEntry)
}

export const TIMELINE_PAGE_SIZE = 20

/** The timeline's filters, in the database's terms; times are epoch ms, `untilMs` excluded. */
export type TimelineQuery = {
  actorUserId?: string
  resource?: string
  action?: AuditAction
  outcome?: AuditOutcome
  fromMs?: number
  untilMs?: number
  /** Continue after this entry (its time and queue id), the last one of the previous page. */
  before?: { ms: number; id: number }
}

/** One page of the cell's events, newest first, and the cursor of the next page when there is one. */
export async function listTimeline(db: Database, { cellId, query }: { cellId: string; query: TimelineQuery }): Promise<{ entries: JournalEntry[]; nextBefore: string | null }> {
  const where: SQL[] = []
  if (query.actorUserId) where.push(sql`d.actor_user_id = ${query.actorUserId}`)
  if (query.resource) where.push(sql`d.resource_key = ${query.resource}`)
  if (query.action) where.push(sql`q.action = ${query.action}`)
  if (query.outcome) where.push(sql`q.outcome = ${query.outcome}`)
  if (query.fromMs !== undefined) where.push(sql`q.occurred_at_ms >= ${query.fromMs}`)
  if (query.untilMs !== undefined) where.push(sql`q.occurred_at_ms < ${query.untilMs}`)
  if (query.before) where.push(sql`(q.occurred_at_ms, q.id) < (${query.before.ms}, ${query.before.id})`)
  const entries = await cellEntries(db, { cellId, where, limit: TIMELINE_PAGE_SIZE + 1 })
  const page = entries.slice(0, TIMELINE_PAGE_SIZE)
  const last = page[page.length - 1]
  return { entries: page, nextBefore: entries.length > TIMELINE_PAGE_SIZE && last ? `${last.occurredAtMs}_${last.queueId}` : null }
}

export const RESOURCE_ACCESS_LIMIT = 2_000

/** Every recorded access to one resource of the cell, newest first, up to RESOURCE_ACCESS_LIMIT. */
export async function resourceAccesses(db: Database, { cellId, resource }: { cellId: string; resource: string }): Promise<{ entries: JournalEntry[]; truncated: boolean }> {
  const entries = await cellEntries(db, { cellId, where: [sql`d.resource_key = ${resource}`], limit: RESOURCE_ACCESS_LIMIT })
  return { entries, truncated: entries.length >= RESOURCE_ACCESS_LIMIT }
}

/**
 * The cell's sealed events since `sinceMs`, in log order: what the anomaly rules read. Sealed
 * only, so their order is final and an alert's id (its first event) never changes under a
 * review; what is pending is sealed first (a no-op when the server's sequencer is ahead).
 */
export async function sealedEntriesSince(db: Database, { cellId, sinceMs }: { cellId: string; sinceMs: number }): Promise<JournalEntry[]> {
  await sequencePending(db)
  const entries = await cellEntries(db, { cellId, where: [sql`q.occurred_at_ms >= ${sinceMs}`, sql`l.leaf_index is not null`], limit: 50_000 })
  return entries.reverse()
}

export type AlertReview = { alertId: string; status: 'reviewed' | 'escalated'; comment: string; reviewerName: string; reviewedThroughEventId: string | null; createdAt: Date }

/** The latest review of each alert (reviews are insert-only: the newest row is the state). */
export async function latestReviews(db: Database, { cellId, alertIds }: { cellId: string; alertIds: readonly string[] }): Promise<Map<string, AlertReview>> {
  if (alertIds.length === 0) return new Map()
  const rows = await db
    .select({
      alertId: auditAlertReviews.alertId,
      status: auditAlertReviews.status,
      comment: auditAlertReviews.comment,
      reviewerName: users.displayName,
      reviewedThroughEventId: auditAlertReviews.reviewedThroughEventId,
      createdAt: auditAlertReviews.createdAt,
    })
    .from(auditAlertReviews)
    .innerJoin(users, eq(users.id, auditAlertReviews.reviewerUserId))
    .where(and(eq(auditAlertReviews.cellId, cellId), inArray(auditAlertReviews.alertId, [...alertIds])))
    .orderBy(desc(auditAlertReviews.createdAt))
  const latest = new Map<string, AlertReview>()
  for (const row of rows) if (!latest.has(row.alertId)) latest.set(row.alertId, row)
  return latest
}

/** Integrity at a glance: how much of the cell's journal is sealed, and the log's last signed checkpoint. */
export async function integrityStatus(db: Database, { cellId }: { cellId: string }) {
  const [counts] = await queryRows<{ total: unknown; sealed: unknown }>(
    db,
    sql`select count(*) as total, count(l.leaf_index) as sealed from audit_queue q left join audit_leaves l on l.event_id = q.event_id where q.cell_id = ${cellId}`,
  )
  const [checkpoint] = await db.select({ treeSize: auditCheckpoints.treeSize, signedAt: auditCheckpoints.signedAt }).from(auditCheckpoints).orderBy(desc(auditCheckpoints.treeSize)).limit(1)
  return { total: toSafeNumber(counts?.total ?? 0), sealed: toSafeNumber(counts?.sealed ?? 0), checkpoint: checkpoint ?? null }
}

/** Stores a DPO's review and its journal event together, or neither. */
export async function recordReview(
  db: Database,
  {
    cellId,
    alertId,
    reviewedThroughEventId,
    status,
    comment,
    reviewerUserId,
    context,
  }: {
    cellId: string
    alertId: string
    /** The alert's last event the DPO saw: later ones reopen the alert. */
    reviewedThroughEventId: string
    status: 'reviewed' | 'escalated'
    comment: string
    reviewerUserId: string
    context: Pick<AuditContext, 'actorRole' | 'ipAddress' | 'requestId'>
  },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(auditAlertReviews).values({ cellId, alertId, reviewedThroughEventId, status, comment, reviewerUserId })
    await recordAudit(tx, { type: 'audit.alert.reviewed', outcome: 'success', resource: 'journal', data: { alertId, status } }, { ...context, cellId, actorUserId: reviewerUserId })
  })
}

import { listMembers } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { type LogSigner } from '#db/journal/checkpoints.ts'
import { integrityStatus, latestReviews, listTimeline, recordReview, sealedEntriesSince, type AlertReview, type JournalEntry, type TimelineQuery } from '#db/journal/queries.ts'
import { rawPublicKey } from '#journal/keys.ts'
import { type CellPrincipal, type RequestContext } from '#app/access/authorize.server.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { detectAnomalies } from './anomalies/detect.ts'
import { type Alert } from './anomalies/engine.ts'
import { ACTION_LABELS, journalDateTime as dateTime, policyActionLabel, resourceLabel, resourceOptions, roleInSentence } from './labels.ts'
import { nextDay, parisDayStartMs } from './paris-days.ts'
import { journalFiltersSchema, type JournalFilters, type Review } from './schemas.ts'

/** The journal page (« Journal d’accès »): its view model, its alerts and the DPO's review of one. */

/** Alerts are computed over this window; older ones stay findable in the timeline. */
export const ALERT_WINDOW_DAYS = 90

const FILTER_KEYS = ['membre', 'ressource', 'action', 'resultat', 'du', 'au'] as const
type FilterValues = Record<(typeof FILTER_KEYS)[number], string>

function timelineQuery(filters: JournalFilters): TimelineQuery {
  return {
    actorUserId: filters.membre,
    resource: filters.ressource,
    action: filters.action,
    outcome: filters.resultat,
    fromMs: filters.du ? parisDayStartMs(filters.du) : undefined,
    untilMs: filters.au ? parisDayStartMs(nextDay(filters.au)) : undefined,
    before: filters.avant,
  }
}

/** One line of the timeline, in the DPO's words. */
function timelineRow(entry: JournalEntry, names: Record<string, string>) {
  const detail = entry.detail
  const policy = policyActionLabel(detail?.policyAction ?? null)
  const decided = entry.action === 'authz.granted' || entry.action === 'authz.denied'
  return {
    eventId: entry.eventId,
    at: dateTime.format(new Date(entry.occurredAtMs)),
    what: policy && decided ? `${ACTION_LABELS[entry.action]} : ${policy}` : ACTION_LABELS[entry.action],
    outcome: entry.outcome,
    who: detail ? (detail.actorUserId ? (names[detail.actorUserId] ?? 'Personne hors de la cellule') : 'Système') : 'Détail purgé (conservation)',
    role: detail?.actorRole ? roleInSentence(detail.actorRole) : null,
    resource: detail ? resourceLabel(detail.resource, names) : '—',
    reason: detail?.reason ?? null,
    sealed: entry.cellSeq !== null ? `n° ${entry.cellSeq}` : 'en attente de scellement',
  }
}
export type TimelineRow = ReturnType<typeof timelineRow>

/** The cell's alerts over the window, from its sealed events, and when each of those events occurred. */
export async function cellAlerts(db: Database, { cellId }: { cellId: string }): Promise<{ alerts: Alert[]; occurredAtMs: ReadonlyMap<string, number> }> {
  const entries = await sealedEntriesSince(db, { cellId, sinceMs: Date.now() - ALERT_WINDOW_DAYS * 86_400_000 })
  const events = entries.map((entry) => ({
    eventId: entry.eventId,
    leafIndex: entry.leafIndex,
    cellId,
    occurredAtMs: entry.occurredAtMs,
    action: entry.action,
    outcome: entry.outcome,
    actorUserId: entry.detail?.actorUserId ?? null,
    subjectUserId: entry.detail?.subjectUserId ?? null,
  }))
  return { alerts: detectAnomalies({ events }), occurredAtMs: new Map(entries.map((entry) => [entry.eventId, entry.occurredAtMs])) }
}

/** How many of the alert's events came after what the review covered (log order; by time for a review that named no event). */
function eventsAfterReview({ alert, review, occurredAtMs }: { alert: Alert; review: AlertReview; occurredAtMs: ReadonlyMap<string, number> }): number {
  const through = review.reviewedThroughEventId ? alert.eventIds.indexOf(review.reviewedThroughEventId) : -1
  if (through >= 0) return alert.eventIds.length - 1 - through
  return alert.eventIds.filter((eventId) => (occurredAtMs.get(eventId) ?? 0) > review.createdAt.getTime()).length
}

/**
 * An alert keeps its id while it grows (a burst goes on, more accesses after a removal), so a
 * review would silence what came after it: events later than the latest review reopen the alert,
 * which says how many are new since that review (issue 12).
 */
async function alertRows(db: Database, { cellId, names }: { cellId: string; names: Record<string, string> }) {
  const { alerts, occurredAtMs } = await cellAlerts(db, { cellId })
  const reviews = await latestReviews(db, { cellId, alertIds: alerts.map((alert) => alert.id) })
  return alerts.map((alert) => {
    const stored = reviews.get(alert.id)
    const review = stored ? { status: stored.status, comment: stored.comment, by: stored.reviewerName, at: dateTime.format(stored.createdAt) } : null
    const newEvents = stored ? eventsAfterReview({ alert, review: stored, occurredAtMs }) : 0
    return {
      id: alert.id,
      lastEventId: alert.eventIds.at(-1) ?? '',
      title: alert.title,
      explanation: alert.explanation,
      who: names[alert.actorUserId] ?? 'Personne hors de la cellule',
      at: dateTime.format(new Date(alert.lastAtMs)),
      review: newEvents > 0 ? null : review,
      reopened: newEvents > 0 && review ? { ...review, newEvents } : null,
    }
  })
}
export type AlertRow = Awaited<ReturnType<typeof alertRows>>[number]

/** The journal's public key and name, for the DPO to pin when verifying exports. */
function journalKey(signer: LogSigner): { publicKey: string; origin: string } {
  return { publicKey: rawPublicKey(signer.key.publicKey).toString('base64'), origin: signer.origin }
}

async function integrity(db: Database, { cellId, signer }: { cellId: string; signer: LogSigner }) {
  const status = await integrityStatus(db, { cellId })
  return {
    total: status.total,
    sealed: status.sealed,
    checkpoint: status.checkpoint ? { size: status.checkpoint.treeSize, at: dateTime.format(status.checkpoint.signedAt) } : null,
    ...journalKey(signer),
  }
}
export type IntegrityView = Awaited<ReturnType<typeof integrity>>

/**
 * Everything the journal page shows: the filtered timeline (invalid filters show the whole one
 * with the first problem), the alerts with their reviews, the log's integrity and key.
 */
export async function loadTimelinePage({ db, signer, principal, searchParams }: { db: Database; signer: LogSigner; principal: CellPrincipal; searchParams: URLSearchParams }) {
  const cellId = principal.cell.id
  const parsed = journalFiltersSchema.safeParse(Object.fromEntries([...searchParams.entries()].filter(([, value]) => value !== '')))
  const filters: JournalFilters = parsed.success ? parsed.data : {}
  const members = await listMembers(db, cellId)
  const names = Object.fromEntries(members.map((member) => [member.userId, member.displayName]))
  const [timeline, integrityView, alerts] = await Promise.all([listTimeline(db, { cellId, query: timelineQuery(filters) }), integrity(db, { cellId, signer }), alertRows(db, { cellId, names })])
  const values = Object.fromEntries(FILTER_KEYS.map((key) => [key, filters[key] ?? ''])) as FilterValues
  const older = new URLSearchParams(FILTER_KEYS.flatMap((key) => (filters[key] ? [[key, String(filters[key])]] : [])))
  if (timeline.nextBefore) older.set('avant', timeline.nextBefore)
  const permissions = cellPermissions(principal)
  return {
    cell: { id: cellId, name: principal.cell.name },
    nav: navigationFlags(permissions),
    canReview: permissions.has('cell:audit:review'),
    // A DPO re-signing a new charter keeps reading the journal (charter/actions.ts): the page asks them to sign.
    mustSignCharter: principal.membership?.role === 'dpo' && principal.actor.membership?.signedCurrentCharter === false,
    canExport: permissions.has('cell:audit:export'),
    filterError: parsed.success ? null : (parsed.error.issues[0]?.message ?? 'Filtre invalide.'),
    filters: values,
    members: members.map((member) => ({ userId: member.userId, displayName: member.displayName, removed: member.status === 'removed' })),
    resources: resourceOptions(members),
    events: timeline.entries.map((entry) => timelineRow(entry, names)),
    nextBefore: timeline.nextBefore,
    olderHref: timeline.nextBefore ? `?${older.toString()}#chronologie` : null,
    // Back to the newest page, same filters (the cursor only goes back in time).
    newestHref: filters.avant ? `?${new URLSearchParams(FILTER_KEYS.flatMap((key) => (filters[key] ? [[key, String(filters[key])]] : []))).toString()}#chronologie` : null,
    integrity: integrityView,
    alerts,
    alertWindowDays: ALERT_WINDOW_DAYS,
  }
}

/**
 * The event a review covers up to: the one the DPO saw last, or the alert's last one now. Undefined
 * when the review is not about one of the cell's current alerts and an event of it (nothing is stored).
 */
export async function reviewedThrough(db: Database, { cellId, review }: { cellId: string; review: Review }): Promise<string | undefined> {
  const alert = (await cellAlerts(db, { cellId })).alerts.find((candidate) => candidate.id === review.alertId)
  if (!alert) return undefined
  const through = review.lastEventId ?? alert.eventIds.at(-1)
  return through && alert.eventIds.includes(through) ? through : undefined
}

/** Stores the DPO's review with its journal event, the reviewer's role and request as the guard records them. */
export async function saveReview({ db, principal, review, through, context }: { db: Database; principal: CellPrincipal; review: Review; through: string; context: RequestContext }): Promise<void> {
  await recordReview(db, {
    cellId: principal.cell.id,
    alertId: review.alertId,
    reviewedThroughEventId: through,
    status: review.status,
    comment: review.comment,
    reviewerUserId: principal.userId,
    context: { actorRole: principal.membership?.role ?? null, ipAddress: context?.clientIp ?? null, requestId: context?.requestId ?? null },
  })
}

import { type AuditAction, type AuditOutcome } from '#journal/actions.ts'
import { type AnomalyConfig } from './config.ts'

/**
 * The anomaly engine of the DPO console: pure functions from access events to alerts, and the
 * helpers every rule shares. Windows are closed ("within W" means a gap of at most W), so an
 * edge event counts. The rules are in rules.ts, detectAnomalies in detect.ts.
 */

export type AccessEvent = {
  eventId: string
  /** null while not yet sequenced: such events sort after every sequenced one. */
  leafIndex: number | null
  cellId: string
  occurredAtMs: number
  action: AuditAction
  outcome: AuditOutcome
  /** null once the detail was purged (retention): actor-based rules ignore the event. */
  actorUserId: string | null
  /** For cell.member.removed and cell.member.role_changed: the member concerned. */
  subjectUserId?: string | null
}

export type RuleId = 'bulk-reads' | 'off-hours' | 'repeated-denials' | 'access-after-removal' | 'access-after-charter-change'

export type Alert = {
  /** `${ruleId}:${eventId}` of its first event, so a review stored against it survives recomputation. */
  id: string
  ruleId: RuleId
  cellId: string
  actorUserId: string
  firstAtMs: number
  lastAtMs: number
  eventIds: string[]
  title: string
  explanation: string
}

export type AnomalyRule = {
  id: RuleId
  label: string
  description: string
  evaluate: (input: { events: readonly AccessEvent[]; config: AnomalyConfig }) => Alert[]
}

/** An event with its position in the input, the order every rule reports in. */
export type Positioned = { event: AccessEvent; position: number }
type ActorEvent = AccessEvent & { actorUserId: string }

export function hasActor(event: AccessEvent): event is ActorEvent {
  return event.actorUserId !== null
}

export function isRead(action: AuditAction): boolean {
  return action.endsWith('.read')
}

/**
 * The DPO's work on the journal (reading it, reviewing an alert, exporting) is oversight, not an
 * access to the cell: no rule counts it (issue 12).
 */
export function isJournalOversight(action: AuditAction): boolean {
  return action.startsWith('audit.')
}

export function isSuccess({ event, action }: { event: AccessEvent; action: AuditAction }): boolean {
  return event.action === action && event.outcome === 'success'
}

function compareSequence(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1
}

/** Log order: by leaf index (unsequenced last), then time; stable. */
export function sortAccessEvents(events: readonly AccessEvent[]): AccessEvent[] {
  return [...events].sort(
    (a, b) => compareSequence(a.leafIndex ?? Infinity, b.leafIndex ?? Infinity) || compareSequence(a.occurredAtMs, b.occurredAtMs),
  )
}

export function groupBy<T>({ items, key }: { items: readonly T[]; key: (item: T) => string }): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const name = key(item)
    const group = groups.get(name)
    if (group) group.push(item)
    else groups.set(name, [item])
  }
  return groups
}

export function positioned(events: readonly AccessEvent[]): Positioned[] {
  return events.map((event, position) => ({ event, position }))
}

export function byCellAndActor(item: Positioned): string {
  return `${item.event.cellId}\u0000${item.event.actorUserId}`
}

/** Each cell's events, in input order: the rules that follow an event (a removal, a publication) stay inside its cell. */
export function eventsByCell(events: readonly AccessEvent[]): Positioned[][] {
  return [...groupBy({ items: positioned(events), key: (item) => item.event.cellId }).values()]
}

type RuleMeta = Pick<AnomalyRule, 'id' | 'label'>

export function buildAlert({ rule, items, idItem, actorUserId, explanation }: { rule: RuleMeta; items: readonly Positioned[]; idItem?: Positioned; actorUserId: string; explanation: string }): Alert {
  const ordered = [...items].sort((a, b) => a.position - b.position)
  const first = idItem ?? ordered[0]
  if (!first) throw new Error('an alert needs at least one event')
  const times = ordered.map((item) => item.event.occurredAtMs)
  return {
    id: `${rule.id}:${first.event.eventId}`,
    ruleId: rule.id,
    cellId: first.event.cellId,
    actorUserId,
    firstAtMs: Math.min(...times),
    lastAtMs: Math.max(...times),
    eventIds: ordered.map((item) => item.event.eventId),
    title: rule.label,
    explanation,
  }
}

export type Burst = { items: Positioned[]; peak: number }

/**
 * Maximal runs where some closed window of `windowMs` holds at least `minCount` items.
 * Overlapping qualifying windows merge into one burst, so a burst is reported once.
 */
export function findBursts({ items, minCount, windowMs }: { items: readonly Positioned[]; minCount: number; windowMs: number }): Burst[] {
  const byTime = [...items].sort((a, b) => a.event.occurredAtMs - b.event.occurredAtMs || a.position - b.position)
  const bursts: Array<{ start: number; end: number; peak: number }> = []
  let low = 0
  for (let high = 0; high < byTime.length; high++) {
    const highAt = byTime[high]!.event.occurredAtMs
    while (highAt - byTime[low]!.event.occurredAtMs > windowMs) low++
    const count = high - low + 1
    if (count < minCount) continue
    const last = bursts.at(-1)
    if (last && low <= last.end) {
      last.end = high
      last.peak = Math.max(last.peak, count)
    } else {
      bursts.push({ start: low, end: high, peak: count })
    }
  }
  return bursts.map(({ start, end, peak }) => ({ items: byTime.slice(start, end + 1), peak }))
}

export function spanOf(items: readonly Positioned[]): number {
  const times = items.map((item) => item.event.occurredAtMs)
  return Math.max(...times) - Math.min(...times)
}

/** Events after `origin` in input order, no earlier than it and at most `windowMs` later. */
export function followingWithin({ cellItems, origin, windowMs }: { cellItems: readonly Positioned[]; origin: Positioned; windowMs: number }): Positioned[] {
  return cellItems.filter(({ event, position }) => {
    const gap = event.occurredAtMs - origin.event.occurredAtMs
    return position > origin.position && gap >= 0 && gap <= windowMs
  })
}

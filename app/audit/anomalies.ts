import { z } from 'zod'
import { type AuditAction, type AuditOutcome } from '#journal/actions.ts'

/**
 * Anomaly rules for the DPO console: pure functions from access events to alerts.
 * Windows are closed ("within W" means a gap of at most W), so an edge event counts.
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

export type AnomalyConfig = {
  bulkReads: { threshold: number; windowMinutes: number }
  offHours: { timeZone: string; startHour: number; endHour: number }
  repeatedDenials: { threshold: number; windowMinutes: number }
  afterRemoval: { windowHours: number }
  afterCharterChange: { windowMinutes: number }
}

export type AnomalyRule = {
  id: RuleId
  label: string
  description: string
  evaluate: (input: { events: readonly AccessEvent[]; config: AnomalyConfig }) => Alert[]
}

export const DEFAULT_ANOMALY_CONFIG: AnomalyConfig = {
  bulkReads: { threshold: 20, windowMinutes: 60 },
  offHours: { timeZone: 'Europe/Paris', startHour: 7, endHour: 20 },
  repeatedDenials: { threshold: 3, windowMinutes: 10 },
  afterRemoval: { windowHours: 24 },
  afterCharterChange: { windowMinutes: 60 },
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value })
    return true
  } catch {
    return false
  }
}

const defaults = DEFAULT_ANOMALY_CONFIG
const threshold = z.number().int().min(1).max(10_000)
const windowMinutes = z.number().int().min(1).max(7 * 24 * 60)
const hour = z.number().int().min(0).max(24)

/** A cell's settings: every field optional, missing ones take the defaults above. */
export const anomalyConfigSchema = z
  .object({
    bulkReads: z
      .object({ threshold: threshold.default(defaults.bulkReads.threshold), windowMinutes: windowMinutes.default(defaults.bulkReads.windowMinutes) })
      .strict()
      .default({}),
    offHours: z
      .object({
        timeZone: z.string().refine(isTimeZone, 'fuseau horaire inconnu (ex. Europe/Paris)').default(defaults.offHours.timeZone),
        startHour: hour.default(defaults.offHours.startHour),
        endHour: hour.default(defaults.offHours.endHour),
      })
      .strict()
      .refine((hours) => hours.startHour < hours.endHour, { message: 'l’heure de début doit précéder l’heure de fin', path: ['endHour'] })
      .default({}),
    repeatedDenials: z
      .object({ threshold: threshold.default(defaults.repeatedDenials.threshold), windowMinutes: windowMinutes.default(defaults.repeatedDenials.windowMinutes) })
      .strict()
      .default({}),
    afterRemoval: z
      .object({ windowHours: z.number().int().min(1).max(30 * 24).default(defaults.afterRemoval.windowHours) })
      .strict()
      .default({}),
    afterCharterChange: z
      .object({ windowMinutes: windowMinutes.default(defaults.afterCharterChange.windowMinutes) })
      .strict()
      .default({}),
  })
  .strict() satisfies z.ZodType<AnomalyConfig, z.ZodTypeDef, unknown>

// ---------------------------------------------------------------------------
// Shared helpers

const MINUTE_MS = 60_000

/** An event with its position in the input, the order every rule reports in. */
type Positioned = { event: AccessEvent; position: number }
type ActorEvent = AccessEvent & { actorUserId: string }

function hasActor(event: AccessEvent): event is ActorEvent {
  return event.actorUserId !== null
}

function isRead(action: AuditAction): boolean {
  return action.endsWith('.read')
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

function groupBy<T>({ items, key }: { items: readonly T[]; key: (item: T) => string }): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const name = key(item)
    const group = groups.get(name)
    if (group) group.push(item)
    else groups.set(name, [item])
  }
  return groups
}

function positioned(events: readonly AccessEvent[]): Positioned[] {
  return events.map((event, position) => ({ event, position }))
}

function byCellAndActor(item: Positioned): string {
  return `${item.event.cellId}\u0000${item.event.actorUserId}`
}

function buildAlert({ rule, items, idItem, actorUserId, explanation }: { rule: RuleMeta; items: readonly Positioned[]; idItem?: Positioned; actorUserId: string; explanation: string }): Alert {
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

type RuleMeta = Pick<AnomalyRule, 'id' | 'label'>

/** "moins d'une minute", "42 minutes", "3 h 05". */
function formatDuration(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS)
  if (minutes < 1) return 'moins d’une minute'
  if (minutes < 120) return `${minutes} minute${minutes > 1 ? 's' : ''}`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`
}

type Burst = { items: Positioned[]; peak: number }

/**
 * Maximal runs where some closed window of `windowMs` holds at least `minCount` items.
 * Overlapping qualifying windows merge into one burst, so a burst is reported once.
 */
function findBursts({ items, minCount, windowMs }: { items: readonly Positioned[]; minCount: number; windowMs: number }): Burst[] {
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

function spanOf(items: readonly Positioned[]): number {
  const times = items.map((item) => item.event.occurredAtMs)
  return Math.max(...times) - Math.min(...times)
}

// ---------------------------------------------------------------------------
// Local time and French public holidays

type LocalTime = { date: string; year: number; weekday: number; hour: number; minute: number }

const partsFormatters = new Map<string, Intl.DateTimeFormat>()
const dateFormatters = new Map<string, Intl.DateTimeFormat>()

function cached({ cache, timeZone, create }: { cache: Map<string, Intl.DateTimeFormat>; timeZone: string; create: () => Intl.DateTimeFormat }): Intl.DateTimeFormat {
  let formatter = cache.get(timeZone)
  if (!formatter) {
    formatter = create()
    cache.set(timeZone, formatter)
  }
  return formatter
}

/** Wall-clock time in `timeZone` (Intl applies the DST rules of that zone). */
function localTime({ atMs, timeZone }: { atMs: number; timeZone: string }): LocalTime {
  const formatter = cached({
    cache: partsFormatters,
    timeZone,
    create: () => new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }),
  })
  const parts = Object.fromEntries(formatter.formatToParts(atMs).map((part) => [part.type, part.value]))
  const year = Number(parts.year)
  const month = Number(parts.month)
  const day = Number(parts.day)
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    year,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
  }
}

function isoDate(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 10)
}

/** Easter Sunday, anonymous Gregorian algorithm (Meeus/Jones/Butcher), as UTC midnight. */
function easterSunday(year: number): number {
  const a = year % 19
  const b = Math.floor(year / 100)
  const c = year % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  const day = ((h + l - 7 * m + 114) % 31) + 1
  return Date.UTC(year, month - 1, day)
}

const holidayCache = new Map<number, readonly string[]>()

/** The 11 French public holidays (metropolitan law) of `year`, sorted 'YYYY-MM-DD', without duplicates. */
export function frenchPublicHolidays(year: number): string[] {
  if (!Number.isInteger(year)) throw new RangeError(`année entière attendue / integer year expected (got ${year})`)
  return [...holidaysOf(year)]
}

function holidaysOf(year: number): readonly string[] {
  const known = holidayCache.get(year)
  if (known) return known
  const easter = easterSunday(year)
  const day = 24 * 60 * MINUTE_MS
  const fixed = ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'].map((monthDay) => `${String(year).padStart(4, '0')}-${monthDay}`)
  const movable = [easter + day, easter + 39 * day, easter + 50 * day].map(isoDate)
  // Ascension can fall on 1 or 8 May (2008): one day off, listed once.
  const holidays = [...new Set([...fixed, ...movable])].sort()
  holidayCache.set(year, holidays)
  return holidays
}

function formatFrenchDate({ atMs, timeZone }: { atMs: number; timeZone: string }): string {
  const formatter = cached({
    cache: dateFormatters,
    timeZone,
    create: () => new Intl.DateTimeFormat('fr-FR', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
  })
  // French writes the first of the month as an ordinal: "1er novembre".
  return formatter
    .formatToParts(atMs)
    .map((part) => (part.type === 'day' && part.value === '1' ? '1er' : part.value))
    .join('')
}

function formatClock({ hour, minute }: { hour: number; minute: number }): string {
  return `${hour} h ${String(minute).padStart(2, '0')}`
}

function timeZoneLabel(timeZone: string): string {
  if (/^(Etc\/)?(UTC|GMT|UCT|Zulu)$/i.test(timeZone)) return 'UTC'
  return `heure de ${(timeZone.split('/').at(-1) ?? timeZone).replaceAll('_', ' ')}`
}

// ---------------------------------------------------------------------------
// Rules

const bulkReads: AnomalyRule = {
  id: 'bulk-reads',
  label: 'Lectures en masse',
  description: 'Un même membre consulte plus de dossiers ou de listes qu’un usage normal ne le demande sur une courte période.',
  evaluate({ events, config }) {
    const { threshold, windowMinutes } = config.bulkReads
    const reads = positioned(events).filter(({ event }) => hasActor(event) && event.outcome === 'success' && isRead(event.action))
    return [...groupBy({ items: reads, key: byCellAndActor }).values()].flatMap((items) =>
      findBursts({ items, minCount: threshold + 1, windowMs: windowMinutes * MINUTE_MS }).map((burst) => {
        const count = burst.items.length
        const detail = count === burst.peak ? '' : `, jusqu’à ${burst.peak} dans une même fenêtre de ${windowMinutes} minutes`
        return buildAlert({
          rule: bulkReads,
          items: burst.items,
          actorUserId: burst.items[0]!.event.actorUserId!,
          explanation: `${count} lectures en ${formatDuration(spanOf(burst.items))}${detail} (seuil : plus de ${threshold} lectures en ${windowMinutes} minutes).`,
        })
      }),
    )
  },
}

const offHours: AnomalyRule = {
  id: 'off-hours',
  label: 'Accès hors des heures ouvrées',
  description: 'Un membre accède à la cellule la nuit, le week-end ou un jour férié.',
  evaluate({ events, config }) {
    const { timeZone, startHour, endHour } = config.offHours
    const outside = positioned(events).flatMap((item) => {
      if (!hasActor(item.event) || item.event.outcome !== 'success') return []
      const local = localTime({ atMs: item.event.occurredAtMs, timeZone })
      const minuteOfDay = local.hour * 60 + local.minute
      const holiday = holidaysOf(local.year).includes(local.date)
      const isOff = minuteOfDay < startHour * 60 || minuteOfDay >= endHour * 60 || local.weekday === 0 || local.weekday === 6 || holiday
      return isOff ? [{ ...item, local, holiday }] : []
    })
    const days = groupBy({ items: outside, key: (item) => `${byCellAndActor(item)}\u0000${item.local.date}` })
    return [...days.values()].map((items) => {
      const byTime = [...items].sort((a, b) => a.event.occurredAtMs - b.event.occurredAtMs)
      const first = byTime[0]!
      const last = byTime.at(-1)!
      const day = `${formatFrenchDate({ atMs: first.event.occurredAtMs, timeZone })}${first.holiday ? ', jour férié,' : ''}`
      const when = byTime.length === 1 ? `à ${formatClock(first.local)}` : `entre ${formatClock(first.local)} et ${formatClock(last.local)}`
      return buildAlert({
        rule: offHours,
        items,
        actorUserId: first.event.actorUserId!,
        explanation: `${items.length} accès le ${day} ${when} (${timeZoneLabel(timeZone)}), hors des heures ouvrées (${startHour} h – ${endHour} h, jours ouvrés).`,
      })
    })
  },
}

const repeatedDenials: AnomalyRule = {
  id: 'repeated-denials',
  label: 'Refus d’accès répétés',
  description: 'Un membre se voit refuser plusieurs accès en peu de temps : tentative d’accéder à ce que son rôle ne permet pas.',
  evaluate({ events, config }) {
    const { threshold, windowMinutes } = config.repeatedDenials
    const denials = positioned(events).filter(({ event }) => hasActor(event) && event.outcome === 'denied')
    return [...groupBy({ items: denials, key: byCellAndActor }).values()].flatMap((items) =>
      findBursts({ items, minCount: threshold, windowMs: windowMinutes * MINUTE_MS }).map((burst) => {
        const count = burst.items.length
        const detail = count === burst.peak ? '' : `, jusqu’à ${burst.peak} dans une même fenêtre de ${windowMinutes} minutes`
        return buildAlert({
          rule: repeatedDenials,
          items: burst.items,
          actorUserId: burst.items[0]!.event.actorUserId!,
          explanation: `${count} refus d’accès en ${formatDuration(spanOf(burst.items))}${detail} (seuil : ${threshold} refus en ${windowMinutes} minutes).`,
        })
      }),
    )
  },
}

/** Events after `origin` in input order, no earlier than it and at most `windowMs` later. */
function followingWithin({ cellItems, origin, windowMs }: { cellItems: readonly Positioned[]; origin: Positioned; windowMs: number }): Positioned[] {
  return cellItems.filter(({ event, position }) => {
    const gap = event.occurredAtMs - origin.event.occurredAtMs
    return position > origin.position && gap >= 0 && gap <= windowMs
  })
}

const accessAfterRemoval: AnomalyRule = {
  id: 'access-after-removal',
  label: 'Accès après retrait de la cellule',
  description: 'Un membre retiré de la cellule tente encore d’y accéder peu après son retrait.',
  evaluate({ events, config }) {
    const { windowHours } = config.afterRemoval
    const cells = groupBy({ items: positioned(events), key: (item) => item.event.cellId })
    return [...cells.values()].flatMap((cellItems) =>
      cellItems.flatMap((removal) => {
        const subject = removal.event.subjectUserId
        if (removal.event.action !== 'cell.member.removed' || removal.event.outcome !== 'success' || !subject) return []
        const accesses = followingWithin({ cellItems, origin: removal, windowMs: windowHours * 60 * MINUTE_MS }).filter(({ event }) => event.actorUserId === subject)
        if (accesses.length === 0) return []
        const denied = accesses.filter(({ event }) => event.outcome === 'denied').length
        const deniedDetail = denied > 0 ? ` (dont ${denied} refusé${denied > 1 ? 's' : ''})` : ''
        return [
          buildAlert({
            rule: accessAfterRemoval,
            items: [removal, ...accesses],
            actorUserId: subject,
            explanation: `${accesses.length} accès${deniedDetail} dans les ${windowHours} h suivant le retrait de ce membre de la cellule (dernier : ${formatDuration(spanOf([removal, ...accesses]))} après le retrait).`,
          }),
        ]
      }),
    )
  },
}

function isSuccess({ event, action }: { event: AccessEvent; action: AuditAction }): boolean {
  return event.action === action && event.outcome === 'success'
}

const accessAfterCharterChange: AnomalyRule = {
  id: 'access-after-charter-change',
  label: 'Lecture avant signature de la nouvelle charte',
  description: 'Après la publication d’une nouvelle charte, un membre consulte la cellule avant de l’avoir signée.',
  evaluate({ events, config }) {
    const { windowMinutes } = config.afterCharterChange
    const cells = groupBy({ items: positioned(events), key: (item) => item.event.cellId })
    return [...cells.values()].flatMap((cellItems) =>
      cellItems.flatMap((publication, index) => {
        if (!isSuccess({ event: publication.event, action: 'cell.charter.published' })) return []
        // The next publication opens its own window: a read is attributed to one version only.
        const nextIndex = cellItems.findIndex((item, other) => other > index && isSuccess({ event: item.event, action: 'cell.charter.published' }))
        const scope = nextIndex === -1 ? cellItems.slice(index + 1) : cellItems.slice(index + 1, nextIndex)
        const signed = new Set<string>()
        const readsByActor = new Map<string, Positioned[]>()
        for (const item of scope) {
          const actor = item.event.actorUserId
          if (actor === null || actor === publication.event.actorUserId) continue
          if (isSuccess({ event: item.event, action: 'cell.charter.signed' })) signed.add(actor)
          const gap = item.event.occurredAtMs - publication.event.occurredAtMs
          // Reading the charter is how one comes to sign it: not an access to flag.
          const flagged = item.event.outcome === 'success' && isRead(item.event.action) && item.event.action !== 'cell.charter.read'
          if (!flagged || signed.has(actor) || gap < 0 || gap > windowMinutes * MINUTE_MS) continue
          const reads = readsByActor.get(actor)
          if (reads) reads.push(item)
          else readsByActor.set(actor, [item])
        }
        return [...readsByActor.entries()].map(([actor, reads]) =>
          buildAlert({
            rule: accessAfterCharterChange,
            items: [publication, ...reads],
            // Keyed on the actor's first read: one publication yields one alert per actor.
            idItem: reads[0],
            actorUserId: actor,
            explanation: `${reads.length} lecture${reads.length > 1 ? 's' : ''} dans les ${windowMinutes} minutes suivant la publication d’une nouvelle charte, avant de l’avoir signée (dernière : ${formatDuration(spanOf([publication, ...reads]))} après la publication).`,
          }),
        )
      }),
    )
  },
}

/** Adding a rule is adding an object here. */
export const DEFAULT_RULES: readonly AnomalyRule[] = [bulkReads, offHours, repeatedDenials, accessAfterRemoval, accessAfterCharterChange]

/** Every rule over the events in log order; newest alerts first. */
export function detectAnomalies({
  events,
  rules = DEFAULT_RULES,
  config = DEFAULT_ANOMALY_CONFIG,
}: {
  events: readonly AccessEvent[]
  rules?: readonly AnomalyRule[]
  config?: AnomalyConfig
}): Alert[] {
  const ordered = sortAccessEvents(events)
  return rules.flatMap((rule) => rule.evaluate({ events: ordered, config })).sort((a, b) => b.lastAtMs - a.lastAtMs)
}

import { type AuditAction } from '#journal/actions.ts'
import { formatClock, formatDuration, formatFrenchDate, holidaysOf, localTime, MINUTE_MS, timeZoneLabel } from './calendar.ts'
import { type AnomalyConfig } from './config.ts'
import {
  buildAlert,
  byCellAndActor,
  eventsByCell,
  findBursts,
  followingWithin,
  groupBy,
  hasActor,
  isJournalOversight,
  isRead,
  isSuccess,
  positioned,
  spanOf,
  type AccessEvent,
  type AnomalyRule,
  type Positioned,
  type RuleId,
} from './engine.ts'

/** The DPO console's rules (DESIGN §11). Adding a rule is adding an object to DEFAULT_RULES. */

/**
 * « More than N events of one member within W minutes »: bulk reads and repeated denials differ
 * only by which events count, where the threshold sits and the words.
 */
function burstRule({
  id,
  label,
  description,
  counts,
  settings,
  minCount,
  explain,
}: Pick<AnomalyRule, 'id' | 'label' | 'description'> & {
  counts: (event: AccessEvent) => boolean
  settings: (config: AnomalyConfig) => { threshold: number; windowMinutes: number }
  minCount: (threshold: number) => number
  explain: (words: { count: number; during: string; detail: string; threshold: number; windowMinutes: number }) => string
}): AnomalyRule {
  const rule: AnomalyRule = {
    id,
    label,
    description,
    evaluate({ events, config }) {
      const { threshold, windowMinutes } = settings(config)
      const counted = positioned(events).filter(({ event }) => hasActor(event) && counts(event))
      return [...groupBy({ items: counted, key: byCellAndActor }).values()].flatMap((items) =>
        findBursts({ items, minCount: minCount(threshold), windowMs: windowMinutes * MINUTE_MS }).map((burst) => {
          const count = burst.items.length
          const detail = count === burst.peak ? '' : `, jusqu’à ${burst.peak} dans une même fenêtre de ${windowMinutes} minutes`
          return buildAlert({
            rule,
            items: burst.items,
            actorUserId: burst.items[0]!.event.actorUserId!,
            explanation: explain({ count, during: formatDuration(spanOf(burst.items)), detail, threshold, windowMinutes }),
          })
        }),
      )
    },
  }
  return rule
}

const bulkReads = burstRule({
  id: 'bulk-reads',
  label: 'Lectures en masse',
  description: 'Un même membre consulte plus de dossiers ou de listes qu’un usage normal ne le demande sur une courte période.',
  counts: (event) => event.outcome === 'success' && isRead(event.action) && !isJournalOversight(event.action),
  settings: (config) => config.bulkReads,
  minCount: (threshold) => threshold + 1,
  explain: ({ count, during, detail, threshold, windowMinutes }) => `${count} lectures en ${during}${detail} (seuil : plus de ${threshold} lectures en ${windowMinutes} minutes).`,
})

const repeatedDenials = burstRule({
  id: 'repeated-denials',
  label: 'Refus d’accès répétés',
  description: 'Un membre se voit refuser plusieurs accès en peu de temps : tentative d’accéder à ce que son rôle ne permet pas.',
  counts: (event) => event.outcome === 'denied',
  settings: (config) => config.repeatedDenials,
  minCount: (threshold) => threshold,
  explain: ({ count, during, detail, threshold, windowMinutes }) => `${count} refus d’accès en ${during}${detail} (seuil : ${threshold} refus en ${windowMinutes} minutes).`,
})

const offHours: AnomalyRule = {
  id: 'off-hours',
  label: 'Accès hors des heures ouvrées',
  description: 'Un membre accède à la cellule la nuit, le week-end ou un jour férié.',
  evaluate({ events, config }) {
    const { timeZone, startHour, endHour } = config.offHours
    const outside = positioned(events).flatMap((item) => {
      if (!hasActor(item.event) || item.event.outcome !== 'success' || isJournalOversight(item.event.action)) return []
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

const accessAfterRemoval: AnomalyRule = {
  id: 'access-after-removal',
  label: 'Accès après retrait de la cellule',
  description: 'Un membre retiré de la cellule tente encore d’y accéder peu après son retrait.',
  evaluate({ events, config }) {
    const { windowHours } = config.afterRemoval
    return eventsByCell(events).flatMap((cellItems) =>
      cellItems.flatMap((removal) => {
        const subject = removal.event.subjectUserId
        if (!isSuccess({ event: removal.event, action: 'cell.member.removed' }) || !subject) return []
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

/**
 * The reads a member needs to come and sign: the cell home (its banner leads to the charter), the
 * charter, and the roster it is checked against. With the DPO's journal reads, they are not
 * « lecture avant signature »: anything else read before signing is (issue 12).
 */
const SIGNING_PATH_READS: ReadonlySet<AuditAction> = new Set<AuditAction>(['cell.read', 'cell.charter.read', 'cell.roster.read'])

/** Reads by other members after a publication and before their own signature, within the window, per actor. */
function readsBeforeSigning({ scope, publication, windowMs }: { scope: readonly Positioned[]; publication: Positioned; windowMs: number }): Map<string, Positioned[]> {
  const signed = new Set<string>()
  const readsByActor = new Map<string, Positioned[]>()
  for (const item of scope) {
    const actor = item.event.actorUserId
    if (actor === null || actor === publication.event.actorUserId) continue
    if (isSuccess({ event: item.event, action: 'cell.charter.signed' })) signed.add(actor)
    const gap = item.event.occurredAtMs - publication.event.occurredAtMs
    const action = item.event.action
    const flagged = item.event.outcome === 'success' && isRead(action) && !SIGNING_PATH_READS.has(action) && !isJournalOversight(action)
    if (!flagged || signed.has(actor) || gap < 0 || gap > windowMs) continue
    const reads = readsByActor.get(actor)
    if (reads) reads.push(item)
    else readsByActor.set(actor, [item])
  }
  return readsByActor
}

const accessAfterCharterChange: AnomalyRule = {
  id: 'access-after-charter-change',
  label: 'Lecture avant signature de la nouvelle charte',
  description: 'Après la publication d’une nouvelle charte, un membre consulte la cellule avant de l’avoir signée.',
  evaluate({ events, config }) {
    const { windowMinutes } = config.afterCharterChange
    const published = (item: Positioned) => isSuccess({ event: item.event, action: 'cell.charter.published' })
    return eventsByCell(events).flatMap((cellItems) =>
      cellItems.flatMap((publication, index) => {
        if (!published(publication)) return []
        // The next publication opens its own window: a read is attributed to one version only.
        const nextIndex = cellItems.findIndex((item, other) => other > index && published(item))
        const scope = nextIndex === -1 ? cellItems.slice(index + 1) : cellItems.slice(index + 1, nextIndex)
        return [...readsBeforeSigning({ scope, publication, windowMs: windowMinutes * MINUTE_MS }).entries()].map(([actor, reads]) =>
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

export const DEFAULT_RULES: readonly AnomalyRule[] = [bulkReads, offHours, repeatedDenials, accessAfterRemoval, accessAfterCharterChange]

/** Every rule's id, for the review form's alert ids (`<rule>:<eventId>`). */
export const RULE_IDS = DEFAULT_RULES.map((rule) => rule.id) as [RuleId, ...RuleId[]]

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { frenchPublicHolidays } from '#app/journal/anomalies/calendar.ts'
import { DEFAULT_ANOMALY_CONFIG, anomalyConfigSchema, type AnomalyConfig } from '#app/journal/anomalies/config.ts'
import { detectAnomalies } from '#app/journal/anomalies/detect.ts'
import { type AccessEvent, type Alert, type AnomalyRule, type RuleId } from '#app/journal/anomalies/engine.ts'
import { DEFAULT_RULES } from '#app/journal/anomalies/rules.ts'
import { auditActionSchema, auditOutcomeSchema } from '#journal/actions.ts'

const CELL = '11111111-1111-4111-8111-111111111111'
const OTHER_CELL = '22222222-2222-4222-8222-222222222222'
const MINUTE = 60_000
const HOUR = 60 * MINUTE
/** Tuesday 10 March 2026, 10:00 in Paris (CET, UTC+1): a working hour. */
const TUESDAY_10H = Date.UTC(2026, 2, 10, 9, 0)

let sequence = 0
function event(fields: Partial<AccessEvent> & { at: number }): AccessEvent {
  sequence += 1
  const { at, ...rest } = fields
  return {
    eventId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    leafIndex: sequence,
    cellId: CELL,
    occurredAtMs: at,
    action: 'cell.members.read',
    outcome: 'success',
    actorUserId: 'alice',
    ...rest,
  }
}

function reads({ count, start = TUESDAY_10H, stepMs, ...fields }: { count: number; start?: number; stepMs: number } & Partial<AccessEvent>): AccessEvent[] {
  return Array.from({ length: count }, (_, index) => event({ ...fields, at: start + index * stepMs }))
}

function rule(id: RuleId): AnomalyRule {
  const found = DEFAULT_RULES.find((candidate) => candidate.id === id)
  if (!found) throw new Error(`unknown rule ${id}`)
  return found
}

function run({ id, events, config }: { id: RuleId; events: readonly AccessEvent[]; config?: AnomalyConfig }): Alert[] {
  return detectAnomalies({ events, rules: [rule(id)], config })
}

function ids(events: readonly AccessEvent[]): string[] {
  return events.map((item) => item.eventId)
}

describe('bulk-reads', () => {
  it('stays quiet at 20 reads in an hour and fires once at 21, with every read', () => {
    expect(run({ id: 'bulk-reads', events: reads({ count: 20, stepMs: MINUTE }) })).toEqual([])
    const events = reads({ count: 21, stepMs: MINUTE })
    const alerts = run({ id: 'bulk-reads', events })
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({
      id: `bulk-reads:${events[0]!.eventId}`,
      ruleId: 'bulk-reads',
      cellId: CELL,
      actorUserId: 'alice',
      firstAtMs: TUESDAY_10H,
      lastAtMs: TUESDAY_10H + 20 * MINUTE,
      eventIds: ids(events),
      title: 'Lectures en masse',
    })
    expect(alerts[0]!.explanation).toBe('21 lectures en 20 minutes (seuil : plus de 20 lectures en 60 minutes).')
  })

  it('treats the window as closed: 21 reads over exactly 60 minutes fire, over 60 minutes and 1 ms or 61 minutes do not', () => {
    expect(run({ id: 'bulk-reads', events: reads({ count: 21, stepMs: 3 * MINUTE }) })).toHaveLength(1)
    const justOver = reads({ count: 21, stepMs: 3 * MINUTE })
    justOver[20] = { ...justOver[20]!, occurredAtMs: justOver[20]!.occurredAtMs + 1 }
    expect(run({ id: 'bulk-reads', events: justOver })).toEqual([])
    expect(run({ id: 'bulk-reads', events: reads({ count: 21, stepMs: (61 * MINUTE) / 20 }) })).toEqual([])
  })

  it('counts only successful reads by one actor', () => {
    const events = [
      ...reads({ count: 20, stepMs: MINUTE }),
      ...reads({ count: 5, stepMs: MINUTE, outcome: 'denied' }),
      ...reads({ count: 5, stepMs: MINUTE, outcome: 'failure' }),
      ...reads({ count: 5, stepMs: MINUTE, action: 'cell.member.invited' }),
      ...reads({ count: 15, stepMs: MINUTE, actorUserId: 'bob' }),
      ...reads({ count: 30, stepMs: MINUTE, actorUserId: null }),
    ]
    expect(run({ id: 'bulk-reads', events })).toEqual([])
  })

  it('counts every kind of read of the cell (action ending in .read)', () => {
    const actions = ['cell.read', 'cell.members.read', 'cell.roster.read', 'cell.charter.read', 'cell.history.read', 'cell.keys.read', 'cell.invitation.read'] as const
    const events = Array.from({ length: 21 }, (_, index) => event({ at: TUESDAY_10H + index * MINUTE, action: actions[index % actions.length]! }))
    expect(run({ id: 'bulk-reads', events })).toHaveLength(1)
  })

  it('never counts the DPO reading the journal: that is oversight, not an access to the cell', () => {
    const actions = ['audit.timeline.read', 'audit.resource_viewers.read'] as const
    const journalReads = Array.from({ length: 60 }, (_, index) => event({ at: TUESDAY_10H + index * MINUTE, actorUserId: 'dpo', action: actions[index % actions.length]! }))
    expect(run({ id: 'bulk-reads', events: journalReads })).toEqual([])
    expect(run({ id: 'bulk-reads', events: [...journalReads.slice(0, 20), ...reads({ count: 20, stepMs: MINUTE, actorUserId: 'dpo' })] })).toEqual([])
  })

  it('reports a long burst once, with its peak, and separate bursts separately', () => {
    const long = reads({ count: 150, stepMs: MINUTE })
    const alerts = run({ id: 'bulk-reads', events: long })
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.eventIds).toEqual(ids(long))
    expect(alerts[0]!.explanation).toBe('150 lectures en 2 h 29, jusqu’à 61 dans une même fenêtre de 60 minutes (seuil : plus de 20 lectures en 60 minutes).')

    const first = reads({ count: 21, stepMs: MINUTE })
    const second = reads({ count: 21, stepMs: MINUTE, start: TUESDAY_10H + 3 * HOUR })
    const two = run({ id: 'bulk-reads', events: [...first, ...second] })
    expect(two.map((alert) => alert.eventIds)).toEqual([ids(second), ids(first)])
  })

  it('keeps the alert id when the burst grows, so a stored review still applies', () => {
    const events = reads({ count: 25, stepMs: MINUTE })
    const before = run({ id: 'bulk-reads', events: events.slice(0, 21) })
    const after = run({ id: 'bulk-reads', events })
    expect(after[0]!.id).toBe(before[0]!.id)
    expect(after[0]!.eventIds).toHaveLength(25)
  })

  it('honours a configured threshold and window', () => {
    const config = { ...DEFAULT_ANOMALY_CONFIG, bulkReads: { threshold: 4, windowMinutes: 5 } }
    expect(run({ id: 'bulk-reads', events: reads({ count: 5, stepMs: MINUTE }), config })).toHaveLength(1)
    expect(run({ id: 'bulk-reads', events: reads({ count: 5, stepMs: 2 * MINUTE }), config })).toEqual([])
  })
})

describe('off-hours', () => {
  const single = (at: number, fields: Partial<AccessEvent> = {}) => run({ id: 'off-hours', events: [event({ at, ...fields })] })

  it('reads the clock in Paris time across daylight saving time', () => {
    expect(single(Date.UTC(2026, 6, 7, 6, 30))).toEqual([]) // summer Tuesday, 08:30 in Paris
    expect(single(Date.UTC(2026, 0, 13, 6, 30))).toEqual([]) // winter Tuesday, 07:30 in Paris
    expect(single(Date.UTC(2026, 0, 13, 5, 30))).toHaveLength(1) // winter Tuesday, 06:30 in Paris
    expect(single(Date.UTC(2026, 6, 7, 4, 59))).toHaveLength(1) // summer Tuesday, 06:59 in Paris
    expect(single(Date.UTC(2026, 2, 27, 5, 30))).toHaveLength(1) // Friday before the switch, 06:30 CET
    expect(single(Date.UTC(2026, 2, 30, 5, 30))).toEqual([]) // Monday after the switch, 07:30 CEST
  })

  it('treats 7:00 as open and 20:00 as closed', () => {
    expect(single(Date.UTC(2026, 0, 13, 6, 0))).toEqual([])
    expect(single(Date.UTC(2026, 0, 13, 18, 59))).toEqual([])
    expect(single(Date.UTC(2026, 0, 13, 19, 0))).toHaveLength(1)
  })

  it('groups one actor’s accesses of a local day and explains them in French', () => {
    const events = [Date.UTC(2026, 10, 21, 21, 14), Date.UTC(2026, 10, 21, 21, 40), Date.UTC(2026, 10, 21, 22, 2)].map((at) => event({ at }))
    const alerts = run({ id: 'off-hours', events })
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ id: `off-hours:${events[0]!.eventId}`, eventIds: ids(events), actorUserId: 'alice', title: 'Accès hors des heures ouvrées' })
    expect(alerts[0]!.explanation).toBe(
      '3 accès le samedi 21 novembre 2026 entre 22 h 14 et 23 h 02 (heure de Paris), hors des heures ouvrées (7 h – 20 h, jours ouvrés).',
    )
  })

  it('fires on weekends at any hour and writes the first of the month as 1er', () => {
    const saturday = single(Date.UTC(2026, 2, 14, 11, 0))
    expect(saturday.map((alert) => alert.explanation)).toEqual(['1 accès le samedi 14 mars 2026 à 12 h 00 (heure de Paris), hors des heures ouvrées (7 h – 20 h, jours ouvrés).'])
    const allSaints = single(Date.UTC(2026, 10, 1, 9, 5)) // Sunday 1 November 2026, 10:05, also a holiday
    expect(allSaints.map((alert) => alert.explanation)).toEqual([
      '1 accès le dimanche 1er novembre 2026, jour férié, à 10 h 05 (heure de Paris), hors des heures ouvrées (7 h – 20 h, jours ouvrés).',
    ])
  })

  it('fires on public holidays, not on the working day after', () => {
    for (const [month, day] of [[3, 6], [4, 14], [4, 25]] as const) {
      const alerts = single(Date.UTC(2026, month, day, 8, 0)) // 10:00 in Paris
      expect(alerts).toHaveLength(1)
      expect(alerts[0]!.explanation).toContain(', jour férié, à 10 h 00')
    }
    expect(single(Date.UTC(2026, 3, 7, 8, 0))).toEqual([]) // Tuesday 7 April 2026
  })

  it('splits by local day, not by UTC day', () => {
    // Friday 23:30 and Saturday 00:30 in Paris are the same UTC day.
    const events = [event({ at: Date.UTC(2026, 0, 16, 22, 30) }), event({ at: Date.UTC(2026, 0, 16, 23, 30) })]
    const alerts = run({ id: 'off-hours', events })
    expect(alerts.map((alert) => alert.eventIds)).toEqual([[events[1]!.eventId], [events[0]!.eventId]])
    expect(alerts[1]!.explanation).toContain('le vendredi 16 janvier 2026 à 23 h 30')
    expect(alerts[0]!.explanation).toContain('le samedi 17 janvier 2026 à 0 h 30')
  })

  it('ignores the DPO working on the journal at night (reads, reviews, exports)', () => {
    const night = Date.UTC(2026, 0, 13, 1, 0)
    const work = (['audit.timeline.read', 'audit.resource_viewers.read', 'audit.alert.reviewed', 'audit.export.created'] as const).map((action) => event({ at: night, actorUserId: 'dpo', action }))
    expect(run({ id: 'off-hours', events: work })).toEqual([])
    expect(run({ id: 'off-hours', events: [event({ at: night, actorUserId: 'dpo', action: 'cell.members.read' })] })).toHaveLength(1)
  })

  it('ignores denials, failures and purged actors, and separates actors and cells', () => {
    const night = Date.UTC(2026, 0, 13, 2, 0)
    expect(run({ id: 'off-hours', events: [event({ at: night, outcome: 'denied' }), event({ at: night, outcome: 'failure' }), event({ at: night, actorUserId: null })] })).toEqual([])
    const alerts = run({
      id: 'off-hours',
      events: [event({ at: night }), event({ at: night + MINUTE, actorUserId: 'bob' }), event({ at: night + 2 * MINUTE, cellId: OTHER_CELL }), event({ at: night + 3 * MINUTE, action: 'cell.member.invited' })],
    })
    expect(alerts.map((alert) => [alert.cellId, alert.actorUserId, alert.eventIds.length])).toEqual([
      [CELL, 'alice', 2],
      [OTHER_CELL, 'alice', 1],
      [CELL, 'bob', 1],
    ])
  })

  it('honours another time zone and other hours', () => {
    const config = { ...DEFAULT_ANOMALY_CONFIG, offHours: { timeZone: 'UTC', startHour: 0, endHour: 24 } }
    expect(run({ id: 'off-hours', events: [event({ at: Date.UTC(2026, 0, 13, 2, 0) })], config })).toEqual([])
    const saturday = run({ id: 'off-hours', events: [event({ at: Date.UTC(2026, 0, 17, 12, 0) })], config })
    expect(saturday[0]!.explanation).toBe('1 accès le samedi 17 janvier 2026 à 12 h 00 (UTC), hors des heures ouvrées (0 h – 24 h, jours ouvrés).')
  })
})

describe('frenchPublicHolidays', () => {
  it('lists the eleven holidays of 2026 with Easter on 5 April', () => {
    expect(frenchPublicHolidays(2026)).toEqual([
      '2026-01-01',
      '2026-04-06',
      '2026-05-01',
      '2026-05-08',
      '2026-05-14',
      '2026-05-25',
      '2026-07-14',
      '2026-08-15',
      '2026-11-01',
      '2026-11-11',
      '2026-12-25',
    ])
  })

  it('computes the movable feasts from Easter for other years', () => {
    const movable = (year: number) => frenchPublicHolidays(year).filter((date) => !/-(01-01|05-01|05-08|07-14|08-15|11-01|11-11|12-25)$/.test(date))
    expect(movable(2025)).toEqual(['2025-04-21', '2025-05-29', '2025-06-09']) // Easter 20 April
    expect(movable(2024)).toEqual(['2024-04-01', '2024-05-09', '2024-05-20']) // Easter 31 March
    expect(movable(2038)).toEqual(['2038-04-26', '2038-06-03', '2038-06-14']) // Easter 25 April, the latest
    expect(movable(2285)).toEqual(['2285-03-23', '2285-04-30', '2285-05-11']) // Easter 22 March, the earliest
  })

  it('lists a shared day once (Ascension on 1 May 2008)', () => {
    const holidays = frenchPublicHolidays(2008)
    expect(holidays).toHaveLength(10)
    expect(holidays).toContain('2008-05-01')
    expect(holidays).toContain('2008-03-24')
  })

  it('refuses a non-integer year', () => {
    expect(() => frenchPublicHolidays(2026.5)).toThrow(RangeError)
  })
})

describe('repeated-denials', () => {
  const denials = (count: number, stepMs: number, fields: Partial<AccessEvent> = {}) => reads({ count, stepMs, outcome: 'denied', action: 'authz.denied', ...fields })

  it('fires at 3 denials within 10 minutes, not at 2', () => {
    expect(run({ id: 'repeated-denials', events: denials(2, MINUTE) })).toEqual([])
    const events = denials(3, 4 * MINUTE)
    const alerts = run({ id: 'repeated-denials', events })
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ id: `repeated-denials:${events[0]!.eventId}`, eventIds: ids(events), title: 'Refus d’accès répétés' })
    expect(alerts[0]!.explanation).toBe('3 refus d’accès en 8 minutes (seuil : 3 refus en 10 minutes).')
  })

  it('treats the window as closed: exactly 10 minutes fires, 1 ms more does not', () => {
    expect(run({ id: 'repeated-denials', events: denials(3, 5 * MINUTE) })).toHaveLength(1)
    const spread = denials(3, 5 * MINUTE)
    spread[2] = { ...spread[2]!, occurredAtMs: spread[2]!.occurredAtMs + 1 }
    expect(run({ id: 'repeated-denials', events: spread })).toEqual([])
  })

  it('counts the outcome, whatever the action, per actor and cell, ignoring purged actors', () => {
    expect(run({ id: 'repeated-denials', events: denials(3, MINUTE, { action: 'cell.roster.read' }) })).toHaveLength(1)
    expect(run({ id: 'repeated-denials', events: denials(3, MINUTE, { outcome: 'failure' }) })).toEqual([])
    expect(run({ id: 'repeated-denials', events: denials(3, MINUTE, { actorUserId: null }) })).toEqual([])
    const mixed = [...denials(2, MINUTE), ...denials(2, MINUTE, { actorUserId: 'bob' }), ...denials(2, MINUTE, { cellId: OTHER_CELL })]
    expect(run({ id: 'repeated-denials', events: mixed })).toEqual([])
  })
})

describe('access-after-removal', () => {
  const removal = (at: number, fields: Partial<AccessEvent> = {}) => event({ at, action: 'cell.member.removed', actorUserId: 'coordinator', subjectUserId: 'mallory', ...fields })

  it('reports the removed member’s accesses, denials included, with the removal first', () => {
    const removed = removal(TUESDAY_10H)
    const read = event({ at: TUESDAY_10H + HOUR, actorUserId: 'mallory' })
    const denied = event({ at: TUESDAY_10H + 2 * HOUR, actorUserId: 'mallory', action: 'authz.denied', outcome: 'denied' })
    const unrelated = event({ at: TUESDAY_10H + HOUR, actorUserId: 'alice' })
    const alerts = run({ id: 'access-after-removal', events: [removed, read, unrelated, denied] })
    expect(alerts).toEqual([
      {
        id: `access-after-removal:${removed.eventId}`,
        ruleId: 'access-after-removal',
        cellId: CELL,
        actorUserId: 'mallory',
        firstAtMs: TUESDAY_10H,
        lastAtMs: TUESDAY_10H + 2 * HOUR,
        eventIds: [removed.eventId, read.eventId, denied.eventId],
        title: 'Accès après retrait de la cellule',
        explanation: '2 accès (dont 1 refusé) dans les 24 h suivant le retrait de ce membre de la cellule (dernier : 2 h 00 après le retrait).',
      },
    ])
  })

  it('includes an access at exactly 24 hours and not 1 ms later', () => {
    expect(run({ id: 'access-after-removal', events: [removal(TUESDAY_10H), event({ at: TUESDAY_10H + 24 * HOUR, actorUserId: 'mallory' })] })).toHaveLength(1)
    expect(run({ id: 'access-after-removal', events: [removal(TUESDAY_10H), event({ at: TUESDAY_10H + 24 * HOUR + 1, actorUserId: 'mallory' })] })).toEqual([])
  })

  it('orders same-millisecond events by the log: after the removal counts, before it does not', () => {
    const before = event({ at: TUESDAY_10H, actorUserId: 'mallory' })
    const removed = removal(TUESDAY_10H)
    expect(run({ id: 'access-after-removal', events: [before, removed] })).toEqual([])
    const unsequenced = event({ at: TUESDAY_10H, actorUserId: 'mallory', leafIndex: null })
    // Handed over in the wrong order: the engine sorts by leaf index, unsequenced last.
    const alerts = run({ id: 'access-after-removal', events: [unsequenced, before, removed] })
    expect(alerts.map((alert) => alert.eventIds)).toEqual([[removed.eventId, unsequenced.eventId]])
  })

  it('ignores accesses from before the removal, from other cells, by purged actors, and failed or subjectless removals', () => {
    const access = (fields: Partial<AccessEvent> = {}) => event({ at: TUESDAY_10H + HOUR, actorUserId: 'mallory', ...fields })
    expect(run({ id: 'access-after-removal', events: [event({ at: TUESDAY_10H - MINUTE, actorUserId: 'mallory' }), removal(TUESDAY_10H)] })).toEqual([])
    expect(run({ id: 'access-after-removal', events: [removal(TUESDAY_10H), access({ cellId: OTHER_CELL })] })).toEqual([])
    expect(run({ id: 'access-after-removal', events: [removal(TUESDAY_10H), access({ actorUserId: null })] })).toEqual([])
    expect(run({ id: 'access-after-removal', events: [removal(TUESDAY_10H, { outcome: 'failure' }), access()] })).toEqual([])
    expect(run({ id: 'access-after-removal', events: [removal(TUESDAY_10H, { subjectUserId: null }), access()] })).toEqual([])
    expect(run({ id: 'access-after-removal', events: [removal(TUESDAY_10H, { action: 'cell.member.role_changed' }), access()] })).toEqual([])
  })
})

describe('access-after-charter-change', () => {
  const publication = (at: number, fields: Partial<AccessEvent> = {}) => event({ at, action: 'cell.charter.published', actorUserId: 'coordinator', ...fields })

  it('flags reads before the reader signs, and stops at the signature', () => {
    const published = publication(TUESDAY_10H)
    const read = event({ at: TUESDAY_10H + 5 * MINUTE, actorUserId: 'bob', action: 'cell.members.read' })
    const signed = event({ at: TUESDAY_10H + 10 * MINUTE, actorUserId: 'bob', action: 'cell.charter.signed' })
    const afterSigning = event({ at: TUESDAY_10H + 15 * MINUTE, actorUserId: 'bob' })
    const alerts = run({ id: 'access-after-charter-change', events: [published, read, signed, afterSigning] })
    expect(alerts).toEqual([
      {
        id: `access-after-charter-change:${read.eventId}`,
        ruleId: 'access-after-charter-change',
        cellId: CELL,
        actorUserId: 'bob',
        firstAtMs: TUESDAY_10H,
        lastAtMs: TUESDAY_10H + 5 * MINUTE,
        eventIds: [published.eventId, read.eventId],
        title: 'Lecture avant signature de la nouvelle charte',
        explanation: '1 lecture dans les 60 minutes suivant la publication d’une nouvelle charte, avant de l’avoir signée (dernière : 5 minutes après la publication).',
      },
    ])
    const signedFirst = run({ id: 'access-after-charter-change', events: [publication(TUESDAY_10H), event({ at: TUESDAY_10H + MINUTE, actorUserId: 'bob', action: 'cell.charter.signed' }), event({ at: TUESDAY_10H + 2 * MINUTE, actorUserId: 'bob' })] })
    expect(signedFirst).toEqual([])
  })

  it('includes a read at exactly 60 minutes and not 1 ms later', () => {
    expect(run({ id: 'access-after-charter-change', events: [publication(TUESDAY_10H), event({ at: TUESDAY_10H + HOUR, actorUserId: 'bob' })] })).toHaveLength(1)
    expect(run({ id: 'access-after-charter-change', events: [publication(TUESDAY_10H), event({ at: TUESDAY_10H + HOUR + 1, actorUserId: 'bob' })] })).toEqual([])
  })

  it('gives one alert per actor, never to the publisher, and ignores charter reads, denials, writes and other cells', () => {
    const published = publication(TUESDAY_10H)
    const events = [
      published,
      event({ at: TUESDAY_10H + MINUTE, actorUserId: 'coordinator' }),
      event({ at: TUESDAY_10H + MINUTE, actorUserId: 'bob', action: 'cell.charter.read' }),
      event({ at: TUESDAY_10H + MINUTE, actorUserId: 'bob', outcome: 'denied' }),
      event({ at: TUESDAY_10H + MINUTE, actorUserId: 'bob', action: 'cell.member.invited' }),
      event({ at: TUESDAY_10H + MINUTE, actorUserId: 'bob', cellId: OTHER_CELL }),
      event({ at: TUESDAY_10H + 2 * MINUTE, actorUserId: 'bob' }),
      event({ at: TUESDAY_10H + 3 * MINUTE, actorUserId: 'carol' }),
      event({ at: TUESDAY_10H + 4 * MINUTE, actorUserId: 'bob', action: 'cell.history.read' }),
    ]
    const alerts = run({ id: 'access-after-charter-change', events })
    expect(alerts.map((alert) => [alert.actorUserId, alert.eventIds])).toEqual([
      ['bob', [published.eventId, events[6]!.eventId, events[8]!.eventId]],
      ['carol', [published.eventId, events[7]!.eventId]],
    ])
    expect(new Set(alerts.map((alert) => alert.id)).size).toBe(2)
  })

  it('ignores the reads needed to sign (cell home, charter, roster) and the DPO reading the journal', () => {
    const published = publication(TUESDAY_10H)
    const signingPath = (['cell.read', 'cell.charter.read', 'cell.roster.read'] as const).map((action, index) => event({ at: TUESDAY_10H + (index + 1) * MINUTE, actorUserId: 'bob', action }))
    const oversight = (['audit.timeline.read', 'audit.resource_viewers.read', 'cell.read', 'cell.charter.read'] as const).map((action, index) =>
      event({ at: TUESDAY_10H + (index + 1) * MINUTE, actorUserId: 'dpo', action }),
    )
    expect(run({ id: 'access-after-charter-change', events: [published, ...signingPath, ...oversight] })).toEqual([])
    const beyond = event({ at: TUESDAY_10H + 9 * MINUTE, actorUserId: 'bob', action: 'cell.keys.read' })
    expect(run({ id: 'access-after-charter-change', events: [published, ...signingPath, beyond] }).map((alert) => alert.eventIds)).toEqual([[published.eventId, beyond.eventId]])
  })

  it('attributes a read to the latest publication only', () => {
    const first = publication(TUESDAY_10H)
    const early = event({ at: TUESDAY_10H + 2 * MINUTE, actorUserId: 'bob' })
    const second = publication(TUESDAY_10H + 5 * MINUTE)
    const late = event({ at: TUESDAY_10H + 10 * MINUTE, actorUserId: 'bob' })
    const alerts = run({ id: 'access-after-charter-change', events: [first, early, second, late] })
    expect(alerts.map((alert) => alert.eventIds)).toEqual([
      [second.eventId, late.eventId],
      [first.eventId, early.eventId],
    ])
  })

  it('ignores a failed publication', () => {
    expect(run({ id: 'access-after-charter-change', events: [publication(TUESDAY_10H, { outcome: 'failure' }), event({ at: TUESDAY_10H + MINUTE, actorUserId: 'bob' })] })).toEqual([])
  })
})

describe('detectAnomalies', () => {
  it('never combines cells: 15 reads in each of two cells stay quiet, 21 in each give one alert per cell', () => {
    const quiet = [...reads({ count: 15, stepMs: MINUTE }), ...reads({ count: 15, stepMs: MINUTE, cellId: OTHER_CELL })]
    expect(detectAnomalies({ events: quiet, rules: [rule('bulk-reads')] })).toEqual([])
    const cellReads = reads({ count: 21, stepMs: MINUTE })
    const otherReads = reads({ count: 21, stepMs: MINUTE, cellId: OTHER_CELL, start: TUESDAY_10H + 30 * 1000 })
    const alerts = detectAnomalies({ events: [...cellReads, ...otherReads], rules: [rule('bulk-reads')] })
    expect(alerts.map((alert) => [alert.cellId, alert.eventIds])).toEqual([
      [OTHER_CELL, ids(otherReads)],
      [CELL, ids(cellReads)],
    ])
  })

  it('returns alerts of every rule newest first, with deterministic ids', () => {
    const events = [
      ...reads({ count: 21, stepMs: MINUTE }),
      event({ at: Date.UTC(2026, 2, 14, 12, 0), actorUserId: 'bob' }), // Saturday
      ...reads({ count: 3, stepMs: MINUTE, start: TUESDAY_10H + 2 * HOUR, actorUserId: 'carol', outcome: 'denied' }),
      event({ at: TUESDAY_10H + 5 * HOUR, action: 'cell.member.removed', actorUserId: 'coordinator', subjectUserId: 'dave' }),
      event({ at: TUESDAY_10H + 6 * HOUR, actorUserId: 'dave', outcome: 'denied' }),
      event({ at: TUESDAY_10H + 7 * HOUR, action: 'cell.charter.published', actorUserId: 'coordinator' }),
      event({ at: TUESDAY_10H + 7 * HOUR + MINUTE, actorUserId: 'erin' }),
    ]
    const alerts = detectAnomalies({ events })
    expect(alerts.map((alert) => alert.ruleId)).toEqual(['off-hours', 'access-after-charter-change', 'access-after-removal', 'repeated-denials', 'bulk-reads'])
    const lastTimes = alerts.map((alert) => alert.lastAtMs)
    expect(lastTimes).toEqual([...lastTimes].sort((a, b) => b - a))
    expect(detectAnomalies({ events: [...events].reverse() })).toEqual(alerts)
    expect(alerts.map((alert) => alert.id)).toEqual(detectAnomalies({ events }).map((alert) => alert.id))
  })

  it('runs an added rule on the events in log order', () => {
    const seen: string[][] = []
    const extra: AnomalyRule = {
      id: 'bulk-reads',
      label: 'Règle ajoutée',
      description: 'Règle de test.',
      evaluate: ({ events }) => {
        seen.push(ids(events))
        return []
      },
    }
    const events = reads({ count: 3, stepMs: MINUTE })
    detectAnomalies({ events: [events[2]!, events[0]!, events[1]!], rules: [...DEFAULT_RULES, extra] })
    expect(seen).toEqual([ids(events)])
  })
})

describe('anomalyConfigSchema', () => {
  it('fills missing settings with the defaults', () => {
    expect(anomalyConfigSchema.parse({})).toEqual(DEFAULT_ANOMALY_CONFIG)
    expect(anomalyConfigSchema.parse(DEFAULT_ANOMALY_CONFIG)).toEqual(DEFAULT_ANOMALY_CONFIG)
    expect(anomalyConfigSchema.parse({ bulkReads: { threshold: 50 } }).bulkReads).toEqual({ threshold: 50, windowMinutes: 60 })
  })

  it('refuses out-of-bounds settings', () => {
    for (const settings of [
      { bulkReads: { threshold: 0 } },
      { bulkReads: { windowMinutes: 0 } },
      { repeatedDenials: { threshold: 1.5 } },
      { afterRemoval: { windowHours: 0 } },
      { afterCharterChange: { windowMinutes: -1 } },
      { offHours: { startHour: 20, endHour: 7 } },
      { offHours: { startHour: 8, endHour: 8 } },
      { offHours: { endHour: 25 } },
      { offHours: { timeZone: 'Mars/Olympus_Mons' } },
      { unknown: true },
    ]) {
      expect(anomalyConfigSchema.safeParse(settings).success, JSON.stringify(settings)).toBe(false)
    }
  })
})

describe('properties', () => {
  const users = ['alice', 'bob', 'carol']
  const eventArbitrary = fc.record({
    cellId: fc.constantFrom(CELL, OTHER_CELL),
    leafIndex: fc.option(fc.nat({ max: 200 }), { nil: null }),
    occurredAtMs: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 0, 1) + 10 * 24 * HOUR }),
    action: fc.constantFrom(...auditActionSchema.options),
    outcome: fc.constantFrom(...auditOutcomeSchema.options),
    actorUserId: fc.option(fc.constantFrom(...users), { nil: null }),
    subjectUserId: fc.option(fc.constantFrom(...users), { nil: null }),
  })
  const eventsArbitrary = fc
    .array(eventArbitrary, { maxLength: 80 })
    .map((records) => records.map((record, index): AccessEvent => ({ ...record, eventId: `00000000-0000-4000-9000-${String(index).padStart(12, '0')}` })))
  const configArbitrary = fc.record({
    bulkReads: fc.record({ threshold: fc.integer({ min: 1, max: 5 }), windowMinutes: fc.integer({ min: 1, max: 600 }) }),
    offHours: fc.constantFrom(DEFAULT_ANOMALY_CONFIG.offHours, { timeZone: 'America/New_York', startHour: 0, endHour: 24 }),
    repeatedDenials: fc.record({ threshold: fc.integer({ min: 1, max: 5 }), windowMinutes: fc.integer({ min: 1, max: 600 }) }),
    afterRemoval: fc.record({ windowHours: fc.integer({ min: 1, max: 48 }) }),
    afterCharterChange: fc.record({ windowMinutes: fc.integer({ min: 1, max: 600 }) }),
  })

  it('never throws, and every alert points at input events of its own cell', () => {
    fc.assert(
      fc.property(eventsArbitrary, configArbitrary, (events, config) => {
        const byId = new Map(events.map((item) => [item.eventId, item]))
        const alerts = detectAnomalies({ events, config })
        expect(new Set(alerts.map((alert) => alert.id)).size).toBe(alerts.length)
        alerts.forEach((alert, index) => {
          expect(alert.eventIds.length).toBeGreaterThan(0)
          expect(new Set(alert.eventIds).size).toBe(alert.eventIds.length)
          expect(alert.id.startsWith(`${alert.ruleId}:`)).toBe(true)
          const members = alert.eventIds.map((id) => byId.get(id))
          for (const member of members) {
            expect(member).toBeDefined()
            expect(member!.cellId).toBe(alert.cellId)
          }
          const times = members.map((member) => member!.occurredAtMs)
          expect([alert.firstAtMs, alert.lastAtMs]).toEqual([Math.min(...times), Math.max(...times)])
          if (index > 0) expect(alert.lastAtMs).toBeLessThanOrEqual(alerts[index - 1]!.lastAtMs)
        })
      }),
      { numRuns: 300 },
    )
  })

  it('does not depend on the input order when leaf indexes are distinct', () => {
    fc.assert(
      fc.property(eventsArbitrary, configArbitrary, (events, config) => {
        const sequenced = events.map((item, index) => ({ ...item, leafIndex: index }))
        expect(detectAnomalies({ events: [...sequenced].reverse(), config })).toEqual(detectAnomalies({ events: sequenced, config }))
      }),
      { numRuns: 100 },
    )
  })
})

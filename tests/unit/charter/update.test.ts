import { DEFAULT_CHARTER, RULE_BOUNDS, charterRulesSchema, checkCharterUpdate, type Charter, type CharterRules } from '#charter/index.ts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const NUMERIC_RULES = Object.keys(RULE_BOUNDS) as (keyof typeof RULE_BOUNDS)[]

function nextVersion(previous: Charter, change: Partial<Charter> = {}): Charter {
  return { ...previous, version: previous.version + 1, preamble: `${previous.preamble}\n\nVersion ${previous.version + 1}.`, ...change }
}

function withRules(charter: Charter, rules: Partial<CharterRules>): Charter {
  return { ...charter, rules: { ...charter.rules, ...rules } }
}

describe('checkCharterUpdate', () => {
  it('accepts the next version number and nothing else', () => {
    const result = checkCharterUpdate({ previous: DEFAULT_CHARTER, next: nextVersion(DEFAULT_CHARTER) })
    expect(result).toMatchObject({ ok: true, loosened: [] })
    for (const version of [1, 3, 10]) {
      expect(checkCharterUpdate({ previous: DEFAULT_CHARTER, next: { ...nextVersion(DEFAULT_CHARTER), version } })).toEqual({
        ok: false,
        problems: [{ path: 'version', message: 'La nouvelle version de la charte doit porter le numéro 2.' }],
      })
    }
  })

  it('returns the parsed charter, defaults filled in', () => {
    const { rules: _rules, ...withoutRules } = nextVersion(DEFAULT_CHARTER)
    const result = checkCharterUpdate({ previous: DEFAULT_CHARTER, next: { ...withoutRules, rules: { idleTimeoutMinutes: 10 } } })
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    expect(result.charter.rules).toEqual({ ...DEFAULT_CHARTER.rules, idleTimeoutMinutes: 10 })
  })

  it('refuses a version identical to the previous one', () => {
    const result = checkCharterUpdate({ previous: DEFAULT_CHARTER, next: { ...DEFAULT_CHARTER, version: 2 } })
    expect(result).toEqual({ ok: false, problems: [{ path: '', message: expect.stringMatching(/identique à la précédente/) }] })
  })

  it('refuses a version below the legal floor with the schema’s French messages', () => {
    const next = withRules(nextVersion(DEFAULT_CHARTER), { idleTimeoutMinutes: 30, mfaRequired: false as true })
    const result = checkCharterUpdate({ previous: DEFAULT_CHARTER, next })
    expect(result).toEqual({
      ok: false,
      problems: [
        { path: 'rules.mfaRequired', message: expect.stringMatching(/^La double authentification est obligatoire/) },
        { path: 'rules.idleTimeoutMinutes', message: "La durée d'inactivité avant déconnexion ne peut pas dépasser 15 minutes." },
      ],
    })
  })

  it('lets a cell come back to the legal floor after tightening, and reports the loosening', () => {
    const tightened = withRules(nextVersion(DEFAULT_CHARTER), { idleTimeoutMinutes: 10, nominativeAccessCategories: ['health'] })
    const back = withRules(nextVersion(tightened), { idleTimeoutMinutes: 15, nominativeAccessCategories: ['health', 'social'] })
    const result = checkCharterUpdate({ previous: tightened, next: back })
    expect(result).toMatchObject({
      ok: true,
      loosened: [
        { path: 'rules.idleTimeoutMinutes', message: 'Déconnexion après inactivité : assoupli de « 10 minutes » à « 15 minutes ».' },
        {
          path: 'rules.nominativeAccessCategories',
          message:
            'Professionnels ayant un accès nominatif : assoupli de « professionnels de santé » à « professionnels de santé, professionnels du social et du médico-social ».',
        },
      ],
    })
  })

  it('counts a larger small-count threshold as stricter and a smaller one as looser', () => {
    const stricter = withRules(nextVersion(DEFAULT_CHARTER), { smallCountThreshold: 11 })
    expect(checkCharterUpdate({ previous: DEFAULT_CHARTER, next: stricter })).toMatchObject({ ok: true, loosened: [] })
    const looser = withRules(nextVersion(stricter), { smallCountThreshold: 6 })
    expect(checkCharterUpdate({ previous: stricter, next: looser })).toMatchObject({
      ok: true,
      loosened: [{ path: 'rules.smallCountThreshold' }],
    })
  })
})

/** Rules of the previous version anywhere inside the floor. */
const previousRules = fc
  .record({
    idleTimeoutMinutes: fc.integer({ min: 5, max: 15 }),
    absoluteSessionHours: fc.integer({ min: 1, max: 12 }),
    habilitationReviewMonths: fc.integer({ min: 1, max: 6 }),
    auditDetailRetentionMonths: fc.integer({ min: 6, max: 12 }),
    nominativeRetentionMonths: fc.integer({ min: 1, max: 24 }),
    breakGlassMaxMinutes: fc.integer({ min: 5, max: 60 }),
    nominativeAccessCategories: fc.constantFrom(['health'], ['social'], ['health', 'social']),
    smallCountThreshold: fc.integer({ min: 5, max: 200 }),
    feedbackDeadlineDays: fc.integer({ min: 1, max: 60 }),
  })
  .map(rules => charterRulesSchema.parse(rules))

/** Tightens each rule of `rules` by a fraction drawn per rule, never leaving the floor. */
function tighten(rules: CharterRules, fractions: number[], dropCategory: boolean): CharterRules {
  const result: CharterRules = { ...rules }
  NUMERIC_RULES.forEach((rule, index) => {
    const fraction = fractions[index] ?? 0
    const current = rules[rule]
    const { min } = RULE_BOUNDS[rule]
    result[rule] = rule === 'smallCountThreshold' ? current + Math.floor(fraction * 100) : current - Math.floor(fraction * (current - min))
  })
  if (dropCategory && rules.nominativeAccessCategories.length === 2) result.nominativeAccessCategories = ['health']
  return result
}

describe('checkCharterUpdate properties', () => {
  const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
    minLength: NUMERIC_RULES.length,
    maxLength: NUMERIC_RULES.length,
  })

  it('accepts any tightening within the floor, and reports no loosening', () => {
    fc.assert(
      fc.property(previousRules, fractions, fc.boolean(), (rules, drawn, dropCategory) => {
        const previous = withRules(DEFAULT_CHARTER, rules)
        const next = withRules(nextVersion(previous), tighten(rules, drawn, dropCategory))
        const result = checkCharterUpdate({ previous, next })
        expect(result).toMatchObject({ ok: true, loosened: [] })
      })
    )
  })

  it('refuses any value beyond the floor, whatever the previous version', () => {
    const beyond = fc.oneof(
      ...NUMERIC_RULES.map(rule => {
        const { min, max } = RULE_BOUNDS[rule]
        const below = fc.integer({ min: -1000, max: min - 1 })
        const arbitrary = max === undefined ? below : fc.oneof(below, fc.integer({ min: max + 1, max: max + 1000 }))
        return arbitrary.map(value => ({ rule: rule as string, value: value as unknown }))
      }),
      fc.constantFrom(
        { rule: 'mfaRequired', value: false },
        { rule: 'legalBasisRequired', value: false },
        { rule: 'presumedAuthorRestricted', value: false },
        { rule: 'bulkNominativeExportAllowed', value: true },
        { rule: 'nominativeAccessCategories', value: ['health', 'social', 'none'] },
        { rule: 'nominativeAccessCategories', value: [] },
        { rule: 'medicalSectionCategories', value: ['health', 'social'] }
      )
    )
    fc.assert(
      fc.property(previousRules, beyond, (rules, { rule, value }) => {
        const previous = withRules(DEFAULT_CHARTER, rules)
        const next = { ...nextVersion(previous), rules: { ...previous.rules, [rule]: value } }
        const result = checkCharterUpdate({ previous, next })
        expect(result.ok).toBe(false)
        if (!result.ok)
          expect(result.problems.map(problem => problem.path)).toContainEqual(expect.stringMatching(new RegExp(`^rules\\.${rule}`)))
      })
    )
  })

  it('accepts any loosening that stays inside the floor, and reports each one', () => {
    fc.assert(
      fc.property(previousRules, previousRules, (before, after) => {
        const previous = withRules(DEFAULT_CHARTER, before)
        const result = checkCharterUpdate({ previous, next: withRules(nextVersion(previous), after) })
        if (!result.ok) throw new Error(JSON.stringify(result.problems))
        const looser = NUMERIC_RULES.filter(rule =>
          rule === 'smallCountThreshold' ? after[rule] < before[rule] : after[rule] > before[rule]
        ).map(rule => `rules.${rule}`)
        const widened = after.nominativeAccessCategories.some(category => !before.nominativeAccessCategories.includes(category))
        expect(result.loosened.map(item => item.path).sort()).toEqual(
          [...looser, ...(widened ? ['rules.nominativeAccessCategories'] : [])].sort()
        )
      })
    )
  })
})

import {
  DEFAULT_CHARTER,
  DEFAULT_RULES,
  charterRulesSchema,
  charterSchema,
  parseCharter,
  type Charter,
  type CharterProblem,
} from '#charter/index.ts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

function problemsFor(input: unknown): CharterProblem[] {
  const result = parseCharter(input)
  if (result.ok) throw new Error('expected the charter to be refused')
  return result.problems
}

function withRules(rules: Record<string, unknown>): unknown {
  return { ...DEFAULT_CHARTER, rules: { ...DEFAULT_CHARTER.rules, ...rules } }
}

describe('default charter', () => {
  it('parses, and parsing it again changes nothing', () => {
    expect(charterSchema.parse(DEFAULT_CHARTER)).toEqual(DEFAULT_CHARTER)
    expect(DEFAULT_CHARTER.version).toBe(1)
    expect(DEFAULT_CHARTER.format).toBe(1)
  })

  it('has the rules of the legal floor, which are also what an empty rules object parses to', () => {
    expect(charterRulesSchema.parse({})).toEqual(DEFAULT_RULES)
    expect(DEFAULT_CHARTER.rules).toEqual(DEFAULT_RULES)
    expect(DEFAULT_RULES).toEqual({
      mfaRequired: true,
      legalBasisRequired: true,
      idleTimeoutMinutes: 15,
      absoluteSessionHours: 12,
      habilitationReviewMonths: 6,
      auditDetailRetentionMonths: 12,
      nominativeRetentionMonths: 24,
      breakGlassMaxMinutes: 60,
      nominativeAccessCategories: ['health', 'social'],
      medicalSectionCategories: ['health'],
      smallCountThreshold: 5,
      feedbackDeadlineDays: 30,
      presumedAuthorRestricted: true,
      bulkNominativeExportAllowed: false,
    })
  })

  it('has the sections of DESIGN §9, each citing its legal source', () => {
    expect(DEFAULT_CHARTER.sections.map(section => section.id)).toEqual([
      'objet-et-composition',
      'secret-partage',
      'base-legale',
      'besoin-den-connaitre',
      'section-medicale',
      'typologie',
      'auteur-presume',
      'propositions',
      'releve-de-propositions',
      'retour-au-saisissant',
      'bris-de-glace',
      'conservation-et-effacement',
      'exports-et-statistiques',
      'authentification-et-habilitations',
      'journal-et-dpo',
      'signature-et-versions',
    ])
    for (const section of DEFAULT_CHARTER.sections) {
      expect(section.body, section.id).toMatch(
        /\b(art\.|L\d{3,4}-\d|R\d{4}-\d|D\d{4}-\d|RGPD|CNIL|Conseil supérieur du travail social|code pénal)/
      )
    }
  })

  it('names the legal bases, the seven forms of maltreatment and the emergency numbers', () => {
    const text = (id: string) => DEFAULT_CHARTER.sections.find(section => section.id === id)?.body ?? ''
    expect(text('base-legale')).toMatch(/A\. Information et non-opposition/)
    expect(text('base-legale')).toMatch(/B\. Consentement/)
    expect(text('base-legale')).toMatch(/C\. Signalement/)
    expect(text('base-legale')).toMatch(/226-14/)
    expect(text('secret-partage')).toMatch(/R1110-2/)
    const forms = [
      'physique',
      'sexuelle',
      'psychologique',
      'matérielle et financière',
      'négligences',
      'discriminations',
      'environnement violent',
    ]
    for (const form of forms) expect(text('typologie')).toContain(form)
    expect(text('typologie')).toMatch(/L119-1/)
    expect(text('objet-et-composition')).toMatch(/15.*17.*112.*3977/s)
  })

  it('states the same numbers as its machine rules', () => {
    const all = DEFAULT_CHARTER.sections.map(section => section.body).join('\n')
    expect(all).toContain(`${DEFAULT_RULES.idleTimeoutMinutes} minutes d'inactivité`)
    expect(all).toContain(`${DEFAULT_RULES.absoluteSessionHours} heures`)
    expect(all).toContain(`tous les ${DEFAULT_RULES.habilitationReviewMonths} mois`)
    expect(all).toContain(`${DEFAULT_RULES.auditDetailRetentionMonths} mois`)
    expect(all).toContain(`${DEFAULT_RULES.nominativeRetentionMonths} mois après la dernière activité`)
    expect(all).toContain(`${DEFAULT_RULES.breakGlassMaxMinutes} minutes au plus`)
    expect(all).toContain(`inférieur à ${DEFAULT_RULES.smallCountThreshold}`)
    expect(all).toContain(`${DEFAULT_RULES.feedbackDeadlineDays} jours`)
  })
})

describe('legal floor', () => {
  const violations: [string, Record<string, unknown>, string, RegExp][] = [
    ['MFA disabled', { mfaRequired: false }, 'rules.mfaRequired', /double authentification est obligatoire/],
    ['legal basis not required', { legalBasisRequired: false }, 'rules.legalBasisRequired', /base légale/],
    ['idle timeout of 20 minutes', { idleTimeoutMinutes: 20 }, 'rules.idleTimeoutMinutes', /ne peut pas dépasser 15 minutes/],
    ['idle timeout of 4 minutes', { idleTimeoutMinutes: 4 }, 'rules.idleTimeoutMinutes', /au moins 5 minutes/],
    ['idle timeout not an integer', { idleTimeoutMinutes: 10.5 }, 'rules.idleTimeoutMinutes', /nombre entier/],
    ['idle timeout as text', { idleTimeoutMinutes: '10' }, 'rules.idleTimeoutMinutes', /nombre entier/],
    ['session of 13 hours', { absoluteSessionHours: 13 }, 'rules.absoluteSessionHours', /ne peut pas dépasser 12 heures/],
    ['habilitation review every 7 months', { habilitationReviewMonths: 7 }, 'rules.habilitationReviewMonths', /au moins tous les 6 mois/],
    ['audit detail kept 13 months', { auditDetailRetentionMonths: 13 }, 'rules.auditDetailRetentionMonths', /plus de 12 mois/],
    ['audit detail kept 5 months', { auditDetailRetentionMonths: 5 }, 'rules.auditDetailRetentionMonths', /au moins 6 mois/],
    ['nominative data kept 25 months', { nominativeRetentionMonths: 25 }, 'rules.nominativeRetentionMonths', /plus de 24 mois/],
    ['break-glass of 61 minutes', { breakGlassMaxMinutes: 61 }, 'rules.breakGlassMaxMinutes', /ne peut pas dépasser 60 minutes/],
    [
      'nominative access for category none',
      { nominativeAccessCategories: ['health', 'none'] },
      'rules.nominativeAccessCategories.1',
      /R1110-2/,
    ],
    ['no nominative category at all', { nominativeAccessCategories: [] }, 'rules.nominativeAccessCategories', /Au moins une catégorie/],
    ['a category twice', { nominativeAccessCategories: ['health', 'health'] }, 'rules.nominativeAccessCategories', /qu’une fois/],
    [
      'medical section for social workers',
      { medicalSectionCategories: ['health', 'social'] },
      'rules.medicalSectionCategories',
      /réservée aux professionnels de santé/,
    ],
    [
      'medical section for nobody',
      { medicalSectionCategories: [] },
      'rules.medicalSectionCategories',
      /réservée aux professionnels de santé/,
    ],
    ['small counts of 4 shown', { smallCountThreshold: 4 }, 'rules.smallCountThreshold', /inférieurs à 5/],
    ['feedback after 61 days', { feedbackDeadlineDays: 61 }, 'rules.feedbackDeadlineDays', /ne peut pas dépasser 60 jours/],
    ['presumed author not restricted', { presumedAuthorRestricted: false }, 'rules.presumedAuthorRestricted', /mise en cause/],
    ['bulk nominative export allowed', { bulkNominativeExportAllowed: true }, 'rules.bulkNominativeExportAllowed', /export en masse/],
    ['an unknown rule', { allowEverything: true }, 'rules', /Champ inconnu/],
  ]

  it.each(violations)('refuses %s with a French message', (_name, rules, path, message) => {
    const problems = problemsFor(withRules(rules))
    expect(problems).toHaveLength(1)
    expect(problems[0]).toEqual({ path, message: expect.stringMatching(message) })
  })

  it('reports every violation at once', () => {
    const problems = problemsFor(withRules({ mfaRequired: false, idleTimeoutMinutes: 20, bulkNominativeExportAllowed: true }))
    expect(problems.map(problem => problem.path).sort()).toEqual([
      'rules.bulkNominativeExportAllowed',
      'rules.idleTimeoutMinutes',
      'rules.mfaRequired',
    ])
  })

  it('accepts every value inside the bounds', () => {
    fc.assert(
      fc.property(
        fc.record({
          idleTimeoutMinutes: fc.integer({ min: 5, max: 15 }),
          absoluteSessionHours: fc.integer({ min: 1, max: 12 }),
          habilitationReviewMonths: fc.integer({ min: 1, max: 6 }),
          auditDetailRetentionMonths: fc.integer({ min: 6, max: 12 }),
          nominativeRetentionMonths: fc.integer({ min: 1, max: 24 }),
          breakGlassMaxMinutes: fc.integer({ min: 5, max: 60 }),
          nominativeAccessCategories: fc.constantFrom(['health'], ['social'], ['health', 'social'], ['social', 'health']),
          smallCountThreshold: fc.integer({ min: 5, max: 1000 }),
          feedbackDeadlineDays: fc.integer({ min: 1, max: 60 }),
        }),
        rules => {
          expect(parseCharter(withRules(rules)).ok).toBe(true)
        }
      )
    )
  })

  it('writes the nominative categories in one order, so equal sets are equal charters', () => {
    expect(charterRulesSchema.parse({ nominativeAccessCategories: ['social', 'health'] }).nominativeAccessCategories).toEqual([
      'health',
      'social',
    ])
  })
})

describe('document', () => {
  const cases: [string, (charter: Charter) => unknown, string, RegExp][] = [
    ['an unknown format', charter => ({ ...charter, format: 2 }), 'format', /Format de charte inconnu/],
    ['version 0', charter => ({ ...charter, version: 0 }), 'version', /commence à 1/],
    ['an empty title', charter => ({ ...charter, title: '   ' }), 'title', /titre de la charte est obligatoire/],
    ['no section', charter => ({ ...charter, sections: [] }), 'sections', /au moins une section/],
    [
      'a section id that is not a slug',
      charter => ({ ...charter, sections: [{ ...charter.sections[0], id: 'Secret partagé' }] }),
      'sections.0.id',
      /minuscules sans accent/,
    ],
    [
      'two sections with the same id',
      charter => ({ ...charter, sections: [charter.sections[0], { ...charter.sections[1], id: charter.sections[0]?.id }] }),
      'sections.1.id',
      /même identifiant « objet-et-composition »/,
    ],
    [
      'an empty section body',
      charter => ({ ...charter, sections: [{ ...charter.sections[0], body: '' }] }),
      'sections.0.body',
      /texte de la section/,
    ],
    ['an unknown field', charter => ({ ...charter, signedBy: 'someone' }), '', /Champ inconnu/],
    ['missing rules', charter => ({ ...charter, rules: undefined }), 'rules', /obligatoires/],
  ]

  it.each(cases)('refuses %s', (_name, change, path, message) => {
    const problems = problemsFor(change(DEFAULT_CHARTER))
    expect(problems).toContainEqual({ path, message: expect.stringMatching(message) })
  })

  it('stores text in Unicode NFC whatever the input spelling', () => {
    const decomposed = 'Re\u0300gles'
    const charter = charterSchema.parse({ ...DEFAULT_CHARTER, title: decomposed })
    expect(charter.title).toBe('Règles')
  })

  it('answers any input with French messages, never with zod defaults in English', () => {
    const english = /^(Expected|Required|Invalid|Unrecognized|Number must|String must|Array must)/
    const mutation = fc.oneof(
      fc.record({ key: fc.constantFrom('format', 'version', 'title', 'preamble', 'sections', 'rules'), value: fc.jsonValue() }),
      fc.record({
        key: fc.constantFrom('rules'),
        value: fc.dictionary(fc.constantFrom(...Object.keys(DEFAULT_RULES)), fc.jsonValue()),
      }),
      fc.record({
        key: fc.constantFrom('sections'),
        value: fc.array(fc.dictionary(fc.constantFrom('id', 'title', 'body'), fc.jsonValue())),
      })
    )
    fc.assert(
      fc.property(mutation, ({ key, value }) => {
        const result = parseCharter({ ...DEFAULT_CHARTER, [key]: value })
        if (!result.ok) for (const problem of result.problems) expect(problem.message).not.toMatch(english)
      }),
      { numRuns: 3000 }
    )
  })
})

import { z } from 'zod'
import { canonicalJson, isWellFormed } from './canonical-json.ts'

/**
 * The charter document (DESIGN §9): French text sections plus machine rules. The legal floor is encoded
 * as schema bounds, so a charter looser than the law does not parse at all.
 */

export type CharterProblem = { path: string; message: string }

const INTEGER_MESSAGE = 'Saisissez un nombre entier.'
const TOO_LARGE_MESSAGE = 'Ce nombre est trop grand.'

function boundedInteger({
  min,
  max,
  fallback,
  tooLow,
  tooHigh,
}: {
  min: number
  max?: number
  fallback: number
  tooLow: string
  tooHigh?: string
}) {
  const base = z
    .number({ invalid_type_error: INTEGER_MESSAGE, required_error: INTEGER_MESSAGE })
    .int({ message: INTEGER_MESSAGE })
    .min(min, { message: tooLow })
  // Without a legal ceiling, still a number the canonical JSON can write exactly.
  return (max === undefined ? base.max(Number.MAX_SAFE_INTEGER, { message: TOO_LARGE_MESSAGE }) : base.max(max, { message: tooHigh ?? tooLow })).default(fallback)
}

function mandatory(message: string) {
  return z.literal(true, { errorMap: () => ({ message }) }).default(true)
}

const NOMINATIVE_CATEGORIES = ['health', 'social'] as const
export type NominativeCategory = (typeof NOMINATIVE_CATEGORIES)[number]

/** The bounds of each numeric rule: the legal floor (DESIGN §9, research/legal-fr.md §7). */
export const RULE_BOUNDS = {
  idleTimeoutMinutes: { min: 5, max: 15 },
  absoluteSessionHours: { min: 1, max: 12 },
  habilitationReviewMonths: { min: 1, max: 6 },
  auditDetailRetentionMonths: { min: 6, max: 12 },
  nominativeRetentionMonths: { min: 1, max: 24 },
  breakGlassMaxMinutes: { min: 5, max: 60 },
  smallCountThreshold: { min: 5, max: undefined },
  feedbackDeadlineDays: { min: 1, max: 60 },
} as const satisfies Record<string, { min: number; max: number | undefined }>

const MEDICAL_MESSAGE = 'La section médicale est réservée aux professionnels de santé (CSP R1110-2 1°, R1110-3 II).'

const UNKNOWN_FIELD = 'Champ inconnu : retirez-le de la charte.'

export const charterRulesSchema = z
  .object(
    {
      mfaRequired: mandatory(
        "La double authentification est obligatoire (référentiel d'identification électronique, CSP L1470-5) : elle ne peut pas être désactivée."
      ),
      legalBasisRequired: mandatory(
        'Une base légale du partage doit être enregistrée avant tout échange nominatif (CSP L1110-4, D1110-3-1) : cette règle ne peut pas être désactivée.'
      ),
      idleTimeoutMinutes: boundedInteger({
        ...RULE_BOUNDS.idleTimeoutMinutes,
        fallback: 15,
        tooLow: "La durée d'inactivité avant déconnexion doit être d'au moins 5 minutes.",
        tooHigh: "La durée d'inactivité avant déconnexion ne peut pas dépasser 15 minutes.",
      }),
      absoluteSessionHours: boundedInteger({
        ...RULE_BOUNDS.absoluteSessionHours,
        fallback: 12,
        tooLow: "La durée maximale d'une session doit être d'au moins 1 heure.",
        tooHigh: "La durée maximale d'une session ne peut pas dépasser 12 heures.",
      }),
      habilitationReviewMonths: boundedInteger({
        ...RULE_BOUNDS.habilitationReviewMonths,
        fallback: 6,
        tooLow: 'La revue des habilitations ne peut pas être plus fréquente que tous les mois.',
        tooHigh: 'La revue des habilitations doit avoir lieu au moins tous les 6 mois (CNIL, référentiel 2021-028).',
      }),
      auditDetailRetentionMonths: boundedInteger({
        ...RULE_BOUNDS.auditDetailRetentionMonths,
        fallback: 12,
        tooLow: 'Le détail du journal des accès doit être conservé au moins 6 mois (CNIL, délibération 2021-122).',
        tooHigh: 'Le détail du journal des accès ne peut pas être conservé plus de 12 mois (CNIL, délibération 2021-122).',
      }),
      nominativeRetentionMonths: boundedInteger({
        ...RULE_BOUNDS.nominativeRetentionMonths,
        fallback: 24,
        tooLow: 'Les données nominatives doivent être conservées au moins 1 mois après la dernière activité.',
        tooHigh:
          'Les données nominatives ne peuvent pas être conservées plus de 24 mois après la dernière activité (CNIL, délibération 2023-095).',
      }),
      breakGlassMaxMinutes: boundedInteger({
        ...RULE_BOUNDS.breakGlassMaxMinutes,
        fallback: 60,
        tooLow: "Un accès d'urgence (bris de glace) doit durer au moins 5 minutes.",
        tooHigh: "Un accès d'urgence (bris de glace) ne peut pas dépasser 60 minutes.",
      }),
      nominativeAccessCategories: z
        .array(
          z.enum(NOMINATIVE_CATEGORIES, {
            errorMap: () => ({
              message:
                'Seuls les professionnels de santé et les professionnels du social et du médico-social soumis au secret (CSP R1110-2) peuvent avoir un accès nominatif.',
            }),
          }),
          { invalid_type_error: 'Choisissez les catégories de professionnels ayant un accès nominatif.' }
        )
        .min(1, { message: 'Au moins une catégorie de professionnels doit pouvoir accéder aux données nominatives.' })
        .refine(categories => new Set(categories).size === categories.length, {
          message: 'Chaque catégorie de professionnels ne peut figurer qu’une fois.',
        })
        // One spelling per set, so that equal rules hash equally.
        .transform(categories => NOMINATIVE_CATEGORIES.filter(category => categories.includes(category)))
        .default([...NOMINATIVE_CATEGORIES]),
      medicalSectionCategories: z
        .tuple([z.literal('health', { errorMap: () => ({ message: MEDICAL_MESSAGE }) })], {
          errorMap: () => ({ message: MEDICAL_MESSAGE }),
        })
        .default(['health']),
      smallCountThreshold: boundedInteger({
        ...RULE_BOUNDS.smallCountThreshold,
        fallback: 5,
        tooLow: 'Les statistiques doivent masquer les effectifs inférieurs à 5 au moins (RGPD art. 5, minimisation).',
      }),
      feedbackDeadlineDays: boundedInteger({
        ...RULE_BOUNDS.feedbackDeadlineDays,
        fallback: 30,
        tooLow: 'Le délai de retour au saisissant doit être d’au moins 1 jour.',
        tooHigh: 'Le délai de retour au saisissant ne peut pas dépasser 60 jours.',
      }),
      presumedAuthorRestricted: mandatory(
        'Les informations sur une personne mise en cause restent réservées et exclues des exports et des retours (C. pén. 226-14) : cette règle ne peut pas être désactivée.'
      ),
      bulkNominativeExportAllowed: z
        .literal(false, {
          errorMap: () => ({
            message: "L'export en masse de données nominatives est interdit (RGPD art. 5 et 32) : il ne peut pas être autorisé.",
          }),
        })
        .default(false),
    },
    {
      invalid_type_error: 'Les règles de la charte sont manquantes ou illisibles.',
      required_error: 'Les règles de la charte sont obligatoires.',
    }
  )
  .strict(UNKNOWN_FIELD)

export type CharterRules = z.output<typeof charterRulesSchema>
export type CharterRulesInput = z.input<typeof charterRulesSchema>
export type RuleName = keyof CharterRules

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

// Signed text compares by bytes: one Unicode spelling per text, whatever the browser's input method.
function text({ label, max, allowEmpty = false }: { label: string; max: number; allowEmpty?: boolean }) {
  const base = z.string({ invalid_type_error: `${label} doit être un texte.`, required_error: `${label} est obligatoire.` })
  const bounded = (allowEmpty ? base : base.trim().min(1, { message: `${label} est obligatoire.` })).max(max, {
    message: `${label} ne peut pas dépasser ${max} caractères.`,
  })
  // A lone surrogate has no UTF-8 encoding: the canonical JSON refuses it, so the schema does first.
  return bounded
    .refine(isWellFormed, { message: `${label} contient un caractère illisible : retirez-le (un copier-coller peut en ajouter).` })
    .transform(value => value.normalize('NFC'))
}

export const charterSectionSchema = z
  .object(
    {
      id: z
        .string({
          required_error: "L'identifiant de la section est obligatoire.",
          invalid_type_error: "L'identifiant de la section doit être un texte.",
        })
        .regex(SLUG, {
          message:
            "L'identifiant d'une section ne contient que des minuscules sans accent, des chiffres et des tirets (ex. « secret-partage »).",
        })
        .max(80, { message: "L'identifiant d'une section ne peut pas dépasser 80 caractères." }),
      title: text({ label: 'Le titre de la section', max: 200 }),
      body: text({ label: 'Le texte de la section', max: 50_000 }),
    },
    { invalid_type_error: 'Une section de la charte est illisible.' }
  )
  .strict(UNKNOWN_FIELD)

export type CharterSection = z.output<typeof charterSectionSchema>

export const charterSchema = z
  .object(
    {
      format: z.literal(1, { errorMap: () => ({ message: 'Format de charte inconnu : seul le format 1 est accepté.' }) }),
      version: z
        .number({
          invalid_type_error: 'Le numéro de version doit être un nombre entier.',
          required_error: 'Le numéro de version est obligatoire.',
        })
        .int({ message: 'Le numéro de version doit être un nombre entier.' })
        .min(1, { message: 'Le numéro de version commence à 1.' })
        .max(Number.MAX_SAFE_INTEGER, { message: TOO_LARGE_MESSAGE }),
      title: text({ label: 'Le titre de la charte', max: 200 }),
      preamble: text({ label: 'Le préambule', max: 20_000, allowEmpty: true }),
      sections: z
        .array(charterSectionSchema, { invalid_type_error: 'Les sections de la charte sont manquantes.' })
        .min(1, { message: 'La charte doit comporter au moins une section.' })
        .max(100, { message: 'La charte ne peut pas comporter plus de 100 sections.' })
        .superRefine((sections, context) => {
          const seen = new Set<string>()
          sections.forEach((section, index) => {
            if (seen.has(section.id)) {
              context.addIssue({
                code: z.ZodIssueCode.custom,
                path: [index, 'id'],
                message: `Deux sections ne peuvent pas porter le même identifiant « ${section.id} ».`,
              })
            }
            seen.add(section.id)
          })
        }),
      rules: charterRulesSchema,
    },
    { invalid_type_error: 'La charte est illisible.', required_error: 'La charte est obligatoire.' }
  )
  .strict(UNKNOWN_FIELD)

export type Charter = z.output<typeof charterSchema>
export type CharterInput = z.input<typeof charterSchema>

export function charterProblems(error: z.ZodError): CharterProblem[] {
  return error.issues.map(issue => ({ path: issue.path.join('.'), message: issue.message }))
}

export function parseCharter(input: unknown): { ok: true; charter: Charter } | { ok: false; problems: CharterProblem[] } {
  const result = charterSchema.safeParse(input)
  return result.success ? { ok: true, charter: result.data } : { ok: false, problems: charterProblems(result.error) }
}

type RuleDescription = {
  label: string
  /** Which way is stricter: a smaller number, a larger number, fewer categories, or fixed by law. */
  stricter: 'lower' | 'higher' | 'subset' | 'fixed'
  unit: string
}

export const RULE_DESCRIPTIONS = {
  mfaRequired: { label: 'Double authentification obligatoire', stricter: 'fixed', unit: '' },
  legalBasisRequired: { label: 'Base légale obligatoire avant tout partage nominatif', stricter: 'fixed', unit: '' },
  idleTimeoutMinutes: { label: 'Déconnexion après inactivité', stricter: 'lower', unit: 'minutes' },
  absoluteSessionHours: { label: "Durée maximale d'une session", stricter: 'lower', unit: 'heures' },
  habilitationReviewMonths: { label: 'Périodicité de la revue des habilitations', stricter: 'lower', unit: 'mois' },
  auditDetailRetentionMonths: { label: 'Conservation du détail du journal des accès', stricter: 'lower', unit: 'mois' },
  nominativeRetentionMonths: { label: 'Conservation des données nominatives après la dernière activité', stricter: 'lower', unit: 'mois' },
  breakGlassMaxMinutes: { label: "Durée maximale d'un bris de glace", stricter: 'lower', unit: 'minutes' },
  nominativeAccessCategories: { label: 'Professionnels ayant un accès nominatif', stricter: 'subset', unit: '' },
  medicalSectionCategories: { label: 'Professionnels lisant la section médicale', stricter: 'fixed', unit: '' },
  smallCountThreshold: { label: 'Seuil de masquage des petits effectifs dans les statistiques', stricter: 'higher', unit: 'personnes' },
  feedbackDeadlineDays: { label: 'Délai de retour au saisissant', stricter: 'lower', unit: 'jours' },
  presumedAuthorRestricted: { label: 'Personne mise en cause : informations réservées', stricter: 'fixed', unit: '' },
  bulkNominativeExportAllowed: { label: 'Export en masse de données nominatives', stricter: 'fixed', unit: '' },
} as const satisfies Record<RuleName, RuleDescription>

export const RULE_NAMES = Object.keys(RULE_DESCRIPTIONS) as RuleName[]

const CATEGORY_LABELS: Record<NominativeCategory, string> = {
  health: 'professionnels de santé',
  social: 'professionnels du social et du médico-social',
}

/** A rule value as French text, for diffs and warnings. */
export function formatRuleValue({ rule, value }: { rule: RuleName; value: CharterRules[RuleName] }): string {
  if (Array.isArray(value)) return value.map(category => CATEGORY_LABELS[category]).join(', ')
  if (typeof value === 'boolean') return value ? 'oui' : 'non'
  const { unit } = RULE_DESCRIPTIONS[rule]
  return unit ? `${value} ${unit}` : String(value)
}

/** Compares two values of one rule: -1 stricter, 0 equal, 1 looser. */
export function compareRuleStrictness({
  rule,
  from,
  to,
}: {
  rule: RuleName
  from: CharterRules[RuleName]
  to: CharterRules[RuleName]
}): -1 | 0 | 1 {
  const description: RuleDescription = RULE_DESCRIPTIONS[rule]
  switch (description.stricter) {
    case 'fixed':
      return 0
    case 'lower':
      return Math.sign(Number(to) - Number(from)) as -1 | 0 | 1
    case 'higher':
      return Math.sign(Number(from) - Number(to)) as -1 | 0 | 1
    case 'subset': {
      const before = new Set(from as string[])
      const after = new Set(to as string[])
      if ([...after].some(category => !before.has(category))) return 1
      return after.size < before.size ? -1 : 0
    }
    default: {
      const unreachable: never = description.stricter
      throw new Error(`Unknown strictness ${String(unreachable)}`)
    }
  }
}

export type CharterUpdateResult = { ok: true; charter: Charter; loosened: CharterProblem[] } | { ok: false; problems: CharterProblem[] }

/**
 * Checks a proposed new version against the published one. The legal floor is the schema; within it any
 * value is accepted, even one looser than the previous version (README: a cell may undo its own
 * tightening, every member re-signs and sees the diff). Loosenings are returned so the UI can flag them.
 */
export function checkCharterUpdate({ previous, next }: { previous: Charter; next: unknown }): CharterUpdateResult {
  const parsed = charterSchema.safeParse(next)
  if (!parsed.success) return { ok: false, problems: charterProblems(parsed.error) }
  const charter = parsed.data
  // Stored versions may come back from JSONB in another key order or without defaults.
  const before = charterSchema.parse(previous)
  const problems: CharterProblem[] = []
  if (charter.version !== previous.version + 1) {
    problems.push({ path: 'version', message: `La nouvelle version de la charte doit porter le numéro ${previous.version + 1}.` })
  }
  if (canonicalJson({ ...charter, version: 0 }) === canonicalJson({ ...before, version: 0 })) {
    problems.push({
      path: '',
      message: 'Cette version est identique à la précédente : modifiez le texte ou les règles avant de la publier.',
    })
  }
  if (problems.length > 0) return { ok: false, problems }

  const loosened: CharterProblem[] = []
  for (const rule of RULE_NAMES) {
    const from = before.rules[rule]
    const to = charter.rules[rule]
    if (compareRuleStrictness({ rule, from, to }) === 1) {
      loosened.push({
        path: `rules.${rule}`,
        message: `${RULE_DESCRIPTIONS[rule].label} : assoupli de « ${formatRuleValue({ rule, value: from })} » à « ${formatRuleValue({
          rule,
          value: to,
        })} ».`,
      })
    }
  }
  return { ok: true, charter, loosened }
}

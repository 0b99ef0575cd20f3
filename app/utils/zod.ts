import { z, ZodIssueCode, type ZodErrorMap } from 'zod'

/**
 * One French error map for every schema, on the server and in the browser: a schema that forgets
 * its own message still answers in French, never with zod's English default (« Required »,
 * « Expected object, received null »). Installed on import; app/auth/schemas.ts and every other
 * schema module import this file, so no schema can be used without it.
 */
const TYPE_NAMES: Record<string, string> = {
  string: 'un texte',
  number: 'un nombre',
  integer: 'un nombre entier',
  bigint: 'un nombre entier',
  boolean: 'vrai ou faux',
  object: 'un objet',
  array: 'une liste',
  null: 'rien (null)',
  undefined: 'rien',
  date: 'une date',
  nan: 'une valeur non numérique',
  function: 'une fonction',
  symbol: 'un symbole',
  map: 'un dictionnaire',
  set: 'un ensemble',
  promise: 'une promesse',
  void: 'rien',
  never: 'rien',
  unknown: 'une valeur inconnue',
}
const typeName = (type: string) => TYPE_NAMES[type] ?? 'une valeur d’un autre type'

const STRING_FORMATS: Record<string, string> = {
  email: 'une adresse électronique valide',
  url: 'une adresse web valide',
  uuid: 'un identifiant valide',
  cuid: 'un identifiant valide',
  cuid2: 'un identifiant valide',
  ulid: 'un identifiant valide',
  regex: 'une valeur au format attendu',
  datetime: 'une date et heure valides',
  date: 'une date valide',
  time: 'une heure valide',
  ip: 'une adresse IP valide',
  base64: 'une donnée en base64 valide',
}

export const frenchErrorMap: ZodErrorMap = (issue, context) => {
  const field = issue.path.length > 0 ? ` (champ « ${issue.path.join('.')} »)` : ''
  switch (issue.code) {
    case ZodIssueCode.invalid_type:
      if (issue.received === 'undefined') return { message: `Valeur manquante${field}.` }
      return { message: `Valeur invalide${field} : ${typeName(issue.expected)} est attendu, pas ${typeName(issue.received)}.` }
    case ZodIssueCode.invalid_literal:
      return { message: `Valeur invalide${field}.` }
    case ZodIssueCode.unrecognized_keys:
      return { message: `Champs inattendus : ${issue.keys.map(key => `« ${key} »`).join(', ')}.` }
    case ZodIssueCode.invalid_union:
    case ZodIssueCode.invalid_union_discriminator:
    case ZodIssueCode.invalid_intersection_types:
      return { message: `Valeur invalide${field} : elle ne correspond à aucune des formes acceptées.` }
    case ZodIssueCode.invalid_enum_value:
      return { message: `Valeur invalide${field} : choisissez parmi ${issue.options.map(option => `« ${String(option)} »`).join(', ')}.` }
    case ZodIssueCode.invalid_arguments:
    case ZodIssueCode.invalid_return_type:
      return { message: `Valeur invalide${field}.` }
    case ZodIssueCode.invalid_date:
      return { message: `Date invalide${field}.` }
    case ZodIssueCode.invalid_string: {
      const validation = issue.validation
      if (typeof validation === 'object') {
        if ('startsWith' in validation) return { message: `Valeur invalide${field} : elle doit commencer par « ${validation.startsWith} ».` }
        if ('endsWith' in validation) return { message: `Valeur invalide${field} : elle doit finir par « ${validation.endsWith} ».` }
        return { message: `Valeur invalide${field}.` }
      }
      return { message: `Valeur invalide${field} : ${STRING_FORMATS[validation] ?? 'une valeur au format attendu'} est attendue.` }
    }
    case ZodIssueCode.too_small:
      return { message: `${boundMessage(issue.type, 'min', issue.minimum, issue.inclusive, issue.exact)}${field}.` }
    case ZodIssueCode.too_big:
      return { message: `${boundMessage(issue.type, 'max', issue.maximum, issue.inclusive, issue.exact)}${field}.` }
    case ZodIssueCode.not_multiple_of:
      return { message: `Valeur invalide${field} : multiple de ${String(issue.multipleOf)} attendu.` }
    case ZodIssueCode.not_finite:
      return { message: `Valeur invalide${field} : nombre fini attendu.` }
    case ZodIssueCode.custom:
      return { message: issue.message ?? `Valeur invalide${field}.` }
    default:
      return { message: context.defaultError && /[éèàçù]|\b(le|la|les|des|du)\b/i.test(context.defaultError) ? context.defaultError : `Valeur invalide${field}.` }
  }
}

function boundMessage(type: string, side: 'min' | 'max', bound: number | bigint, inclusive: boolean, exact?: boolean): string {
  const value = Number(bound)
  const word = side === 'min' ? (exact ? 'exactement' : inclusive ? 'au moins' : 'plus de') : exact ? 'exactement' : inclusive ? 'au plus' : 'moins de'
  switch (type) {
    case 'string':
      return `Texte de longueur invalide : ${word} ${value} caractère${value > 1 ? 's' : ''}`
    case 'array':
    case 'set':
      return `Nombre d’éléments invalide : ${word} ${value} élément${value > 1 ? 's' : ''}`
    case 'date':
      return side === 'min' ? 'Date trop ancienne' : 'Date trop lointaine'
    default:
      return side === 'min' ? `Nombre trop petit : ${word} ${value}` : `Nombre trop grand : ${word} ${value}`
  }
}

z.setErrorMap(frenchErrorMap)

/** PostgreSQL `integer`: a larger number would overflow in the query (a 500), so it is refused first. */
export const INT32_MAX = 2_147_483_647

/** A non-negative integer that fits an `integer` column. */
export function boundedInteger({ min = 0, message }: { min?: number; message: string }) {
  return z.number({ invalid_type_error: message, required_error: message }).int(message).min(min, message).max(INT32_MAX, message)
}

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/
// eslint-disable-next-line no-control-regex -- single-line fields refuse line breaks and tabs too
const CONTROL_CHARACTERS_SINGLE_LINE = /[\u0000-\u001f\u007f]/
// Lone surrogates cannot be stored as UTF-8 text by PostgreSQL.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Refuses control characters (NUL included: PostgreSQL text cannot hold it) and lone surrogates. */
export function printable<Schema extends z.ZodType<string, z.ZodTypeDef, unknown>>(schema: Schema, label: string, { multiline = false } = {}) {
  const forbidden = multiline ? CONTROL_CHARACTERS : CONTROL_CHARACTERS_SINGLE_LINE
  return schema.refine(value => !forbidden.test(value) && !LONE_SURROGATE.test(value), {
    message: `${label} contient des caractères non imprimables : retirez-les (un copier-coller depuis un autre logiciel peut en ajouter) et recommencez.`,
  })
}

import { z } from 'zod'
import '#app/utils/zod.ts'
import { PROFESSION_CODES, findProfession, isValidAdeli, isValidRpps } from '#charter/professions.ts'
import { KDF_CEILING, KDF_FLOOR } from '#crypto/kdf-limits.ts'

/** Shared by the browser (before any key derivation) and the server (before anything is stored). */

/**
 * An e-mail address field. `missing` is what the person reads when it is empty: « votre adresse » on
 * their own forms, the other person's on a form about someone else. The checks after the first run
 * only on a non-empty value, so an empty field shows one message, not two.
 */
function emailField(missing: string) {
  return z
    .string({ required_error: missing, invalid_type_error: 'Adresse électronique invalide.' })
    .trim()
    .min(1, missing)
    .pipe(z.string().max(254, 'Adresse électronique trop longue.').email('Adresse électronique invalide : vérifiez sa forme (nom@exemple.fr).'))
}

/** The person's own address (login, registration, password reset). */
export const emailSchema = emailField('Indiquez votre adresse électronique.')

/** Someone else's address (an invitation, a cell's DPO or first coordinator). */
export const otherPersonEmailSchema = emailField('Indiquez l’adresse électronique de la personne.')

export const PASSWORD_MIN_LENGTH = 12

export const passwordSchema = z
  .string({ required_error: 'Indiquez un mot de passe.' })
  .min(PASSWORD_MIN_LENGTH, `Le mot de passe doit compter au moins ${PASSWORD_MIN_LENGTH} caractères.`)
  .max(1024, 'Le mot de passe est trop long (1024 caractères au plus).')

/** A 32-byte secret in canonical base64url: 43 characters, the last one carrying no stray bits. */
export const secretSchema = z
  .string({ required_error: 'Secret manquant.', invalid_type_error: 'Secret invalide.' })
  .regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'Secret invalide.')

/** A wrapped key or public blob in base64url. */
export const blobSchema = z
  .string({ required_error: 'Donnée chiffrée manquante.', invalid_type_error: 'Donnée chiffrée invalide.' })
  .min(16, 'Donnée chiffrée invalide.')
  .max(4096, 'Donnée chiffrée trop longue.')
  .regex(/^[A-Za-z0-9_-]+$/, 'Donnée chiffrée invalide.')

const KDF_COST_REFUSED = 'Paramètres de dérivation hors des bornes admises : rechargez la page et recommencez.'

/** The Argon2id cost a browser derived a new password with: within the compiled floor and ceiling. */
export const kdfCostSchema = z.object(
  {
    opsLimit: z.number({ invalid_type_error: KDF_COST_REFUSED }).int(KDF_COST_REFUSED).min(KDF_FLOOR.opsLimit, KDF_COST_REFUSED).max(KDF_CEILING.opsLimit, KDF_COST_REFUSED),
    memLimitBytes: z
      .number({ invalid_type_error: KDF_COST_REFUSED })
      .int(KDF_COST_REFUSED)
      .min(KDF_FLOOR.memLimitBytes, KDF_COST_REFUSED)
      .max(KDF_CEILING.memLimitBytes, KDF_COST_REFUSED),
  },
  { invalid_type_error: KDF_COST_REFUSED },
)

/** What GET /api/account/keys answers: the wrapped keys a reloaded tab opens with the password. */
export const accountKeysSchema = z.object({
  userId: z.string().min(1),
  email: z.string().min(1),
  wrappedAccountKey: z.string(),
  wrappedIdentitySecrets: z.string(),
  kdf: z.unknown(),
})

/** What POST /api/session answers: the new deadline, or that there is no session any more. */
export const sessionStatusSchema = z.discriminatedUnion('active', [
  z.object({ active: z.literal(true), expiresAt: z.string().datetime({ offset: true }) }),
  z.object({ active: z.literal(false) }),
])

export const totpCodeSchema = z
  .string({ required_error: 'Indiquez le code à 6 chiffres.', invalid_type_error: 'Le code doit compter exactement 6 chiffres.' })
  .trim()
  .regex(/^\d{6}$/, 'Le code doit compter exactement 6 chiffres.')

const identityFields = {
  displayName: z
    .string({ required_error: 'Indiquez vos prénom et nom.' })
    .trim()
    .min(2, 'Indiquez vos prénom et nom.')
    .max(120, 'Nom trop long (120 caractères au plus).')
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'Le nom contient des caractères non imprimables.'),
  profession: z.enum(PROFESSION_CODES, { errorMap: () => ({ message: 'Choisissez votre profession dans la liste.' }) }),
  rppsNumber: z.string({ invalid_type_error: 'Numéro RPPS invalide.' }).trim().max(20, 'Numéro RPPS invalide.').optional().default(''),
  adeliNumber: z.string({ invalid_type_error: 'Numéro ADELI invalide.' }).trim().max(20, 'Numéro ADELI invalide.').optional().default(''),
}

type IdentityValues = { profession: string; rppsNumber: string; adeliNumber: string }

/** RPPS or ADELI where the profession has one; RPPS checked by Luhn over its 11 digits. */
function checkProfessionalIdentifier(values: IdentityValues, context: z.RefinementCtx) {
  const profession = findProfession(values.profession)
  if (values.rppsNumber && !isValidRpps(values.rppsNumber)) {
    context.addIssue({ code: 'custom', path: ['rppsNumber'], message: 'Numéro RPPS invalide : 11 chiffres, vérifiez la saisie (la clé de contrôle ne correspond pas).' })
  }
  if (values.adeliNumber && !isValidAdeli(values.adeliNumber)) {
    context.addIssue({ code: 'custom', path: ['adeliNumber'], message: 'Numéro ADELI invalide : 9 chiffres attendus.' })
  }
  const expected = profession?.identifier ?? null
  if (values.rppsNumber && expected !== 'rpps' && expected !== 'rpps_or_adeli') {
    context.addIssue({ code: 'custom', path: ['rppsNumber'], message: 'Cette profession n’a pas de numéro RPPS : laissez ce champ vide.' })
  }
  if (values.adeliNumber && expected !== 'adeli' && expected !== 'rpps_or_adeli') {
    context.addIssue({ code: 'custom', path: ['adeliNumber'], message: 'Cette profession n’a pas de numéro ADELI : laissez ce champ vide.' })
  }
  switch (profession?.identifier) {
    case 'rpps':
      if (!values.rppsNumber) context.addIssue({ code: 'custom', path: ['rppsNumber'], message: 'Indiquez votre numéro RPPS (11 chiffres).' })
      break
    case 'adeli':
      if (!values.adeliNumber) context.addIssue({ code: 'custom', path: ['adeliNumber'], message: 'Indiquez votre numéro ADELI (9 chiffres).' })
      break
    case 'rpps_or_adeli':
      if (!values.rppsNumber && !values.adeliNumber) {
        context.addIssue({ code: 'custom', path: ['rppsNumber'], message: 'Indiquez votre numéro RPPS (11 chiffres) ou ADELI (9 chiffres).' })
      }
      break
    case null:
    case undefined:
      break
    default: {
      const unreachable: never = profession?.identifier as never
      throw new Error(`unknown identifier ${String(unreachable)}`)
    }
  }
}

export const registrationFormSchema = z
  .object({
    ...identityFields,
    password: passwordSchema,
    passwordConfirmation: z.string({ required_error: 'Confirmez le mot de passe.' }),
  })
  .superRefine((values, context) => {
    checkProfessionalIdentifier(values, context)
    if (values.password !== values.passwordConfirmation) {
      context.addIssue({ code: 'custom', path: ['passwordConfirmation'], message: 'Les deux mots de passe ne correspondent pas.' })
    }
  })

/** The one-time token of an invitation or reset link (it travels in the link's fragment). */
export const invitationTokenSchema = z
  .string({ required_error: 'Lien d’invitation manquant.', invalid_type_error: 'Lien d’invitation invalide.' })
  .min(20, 'Lien d’invitation invalide.')
  .max(100, 'Lien d’invitation invalide.')

export const invitationLookupSchema = z.object({ token: invitationTokenSchema })

export const registrationRequestSchema = z
  .object({
    token: invitationTokenSchema,
    ...identityFields,
    authSecret: secretSchema,
    recoveryAuthSecret: secretSchema,
    wrappedAccountKey: blobSchema,
    recoveryWrappedAccountKey: blobSchema,
    identityPublic: blobSchema,
    wrappedIdentitySecrets: blobSchema,
    // Absent: the platform default (DEFAULT_KDF) was used.
    kdf: kdfCostSchema.optional(),
  })
  .superRefine(checkProfessionalIdentifier)

export const preLoginRequestSchema = z.object({ email: emailSchema })
export const loginRequestSchema = z.object({ email: emailSchema, authSecret: secretSchema })
export const totpRequestSchema = z.object({ code: totpCodeSchema })
export const passwordChangeRequestSchema = z.object({
  currentAuthSecret: secretSchema,
  newAuthSecret: secretSchema,
  newWrappedAccountKey: blobSchema,
  newKdf: kdfCostSchema.optional(),
})
/** The code used is spent: a new code's wrap and proof come in the same request (review §6). */
export const recoveryRequestSchema = z.object({
  email: emailSchema,
  recoveryAuthSecret: secretSchema,
  newAuthSecret: secretSchema,
  newWrappedAccountKey: blobSchema,
  newKdf: kdfCostSchema.optional(),
  newRecoveryAuthSecret: secretSchema,
  newRecoveryWrappedAccountKey: blobSchema,
})

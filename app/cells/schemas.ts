import { z } from 'zod'
import { blobSchema, emailSchema } from '#app/auth/schemas.ts'
import { boundedInteger, printable } from '#app/utils/zod.ts'

/** Request shapes of the cell endpoints, shared by the browser and the server. */

export const linksSchema = z.array(blobSchema).min(1, 'Aucun maillon du registre.').max(20, 'Trop de maillons en une fois.')
export const uuidSchema = z.string().uuid('Identifiant invalide.')
export const roleSchema = z.enum(['coordinator', 'member', 'associate', 'dpo'], { errorMap: () => ({ message: 'Rôle inconnu : choisissez coordination, membre, membre associé ou DPO.' }) })
const hexHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'Empreinte de charte invalide.')
const signatureSchema = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'Signature invalide.')

export const foundCellSchema = z.object({
  invitationId: uuidSchema,
  links: linksSchema,
  cellKeyEnvelope: blobSchema,
  intakePublic: blobSchema,
  intakeSecrets: blobSchema,
  indexKey: blobSchema,
  charterHash: hexHashSchema,
  charterSignature: signatureSchema,
})

export const createCellSchema = z.object({
  name: printable(
    z.string({ required_error: 'Indiquez le nom de la cellule.' }).trim().min(3, 'Le nom de la cellule doit compter au moins 3 caractères.').max(160, 'Nom trop long (160 caractères au plus).'),
    'Le nom de la cellule',
  ),
  communes: printable(
    z.string({ required_error: 'Indiquez au moins une commune.' }).trim().min(2, 'Indiquez au moins une commune.').max(1000, 'Liste de communes trop longue.'),
    'La liste des communes',
    { multiline: true },
  )
    .transform(value => value.split(/[,;\n]/).map(part => part.trim()).filter(Boolean))
    // « , , » passes the length check but names no commune.
    .pipe(
      z
        .array(z.string().min(2, 'Chaque commune doit compter au moins 2 caractères : vérifiez les virgules.').max(100, 'Nom de commune trop long (100 caractères au plus).'))
        .min(1, 'Indiquez au moins une commune : des noms séparés par des virgules, par exemple « Sevran, Villepinte ».')
        .max(100, 'Cent communes au plus.'),
    ),
  hostInstitution: printable(
    z.string({ required_error: 'Indiquez l’institution qui porte la cellule.' }).trim().min(3, 'Indiquez l’institution qui porte la cellule.').max(200, 'Nom d’institution trop long.'),
    'Le nom de l’institution',
  ),
  dpoContact: emailSchema,
  coordinatorEmail: emailSchema,
})

/** The platform admin's archiving of an empty cell, once confirmed. */
export const archiveCellSchema = z.object({
  cellId: z.string().uuid('Cellule inconnue : revenez à la liste des cellules.'),
  confirm: z.literal('oui', { errorMap: () => ({ message: 'Confirmez l’archivage de la cellule.' }) }),
})

export const createInvitationSchema = z.object({ email: emailSchema, role: roleSchema })

export const answerInvitationSchema = z.object({
  proof: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, 'Preuve invalide.'),
})

export const confirmInvitationSchema = z.object({
  links: linksSchema,
  cellKeyEnvelope: blobSchema.optional(),
})

export const rotationSchema = z.object({
  links: linksSchema,
  epoch: boundedInteger({ message: 'Numéro d’époque de la clé invalide.' }).nullable(),
  envelopes: z.record(uuidSchema, blobSchema),
  previousEpoch: blobSchema.nullable(),
  indexKey: blobSchema.nullable(),
  intake: z.object({ index: boundedInteger({ message: 'Numéro de clé de saisine invalide.' }), publicBundle: blobSchema, secrets: blobSchema }).nullable(),
})

export const setRoleSchema = rotationSchema.extend({ role: roleSchema })

export const attestSchema = z.object({ links: linksSchema })

export const signCharterSchema = z.object({ version: boundedInteger({ min: 1, message: 'Numéro de version de la charte invalide.' }), hash: hexHashSchema, signature: signatureSchema })

export const publishCharterSchema = z.object({ charter: z.unknown(), links: linksSchema, hash: hexHashSchema, signature: signatureSchema })

/** The (seq, hash) of the last roster head this browser saw, as kept in localStorage (DESIGN §7). */
export const rosterPinSchema = z
  .object({ seq: z.number().int().min(0), hash: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })
  .strict()

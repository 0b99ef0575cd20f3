import { z } from 'zod'
import { blobSchema, otherPersonEmailSchema } from '#app/auth/schemas.ts'
import { boundedInteger, printable } from '#app/utils/zod.ts'

/** Request shapes of the cell endpoints, shared by the browser and the server. */

export const linksSchema = z.array(blobSchema).min(1, 'Aucun maillon du registre.').max(20, 'Trop de maillons en une fois.')
export const uuidSchema = z.string().uuid('Identifiant invalide.')
export const roleSchema = z.enum(['coordinator', 'member', 'associate', 'dpo'], { errorMap: () => ({ message: 'Rôle inconnu : choisissez coordination, membre, membre associé ou DPO.' }) })
const hexHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'Empreinte de charte invalide.')
const signatureSchema = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'Signature invalide.')

/** A key sealed to one member (cell key, index key of an epoch, intake seed), as the browser sends it. */
export const sealedKeySchema = z.object({
  kind: z.enum(['cell_epoch_key', 'index_key', 'intake_seed'], { errorMap: () => ({ message: 'Type de clé scellée inconnu.' }) }),
  epoch: boundedInteger({ message: 'Numéro d’époque de la clé invalide.' }),
  slot: uuidSchema,
  blob: blobSchema,
})
export const sealedKeysSchema = z.array(sealedKeySchema).max(2_000, 'Trop de clés scellées en une fois.')

export const foundCellSchema = z.object({
  invitationId: uuidSchema,
  links: linksSchema,
  sealed: sealedKeysSchema,
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
  dpoContact: otherPersonEmailSchema,
  coordinatorEmail: otherPersonEmailSchema,
})

/** The platform admin's archiving of an empty cell, once confirmed. */
export const archiveCellSchema = z.object({
  cellId: z.string().uuid('Cellule inconnue : revenez à la liste des cellules.'),
  confirm: z.literal('oui', { errorMap: () => ({ message: 'Confirmez l’archivage de la cellule.' }) }),
})

export const createInvitationSchema = z.object({ email: otherPersonEmailSchema, role: roleSchema })

export const answerInvitationSchema = z.object({
  proof: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, 'Preuve invalide.'),
  /** Re-admission only: the member's new keys signing the key change (review §1e). */
  keyChangeSignature: signatureSchema.optional(),
})

/** Any roster change (addition, removal, role, re-admission): the links, then every key that goes with them. */
export const rosterChangeSchema = z.object({
  links: linksSchema,
  epoch: boundedInteger({ message: 'Numéro d’époque de la clé invalide.' }).nullable(),
  intakeIndex: boundedInteger({ message: 'Numéro de clé de saisine invalide.' }).nullable(),
  sealed: sealedKeysSchema,
  previousEpoch: blobSchema.nullable(),
  previousIndexKey: blobSchema.nullable(),
})

export const confirmInvitationSchema = rosterChangeSchema
export const rotationSchema = rosterChangeSchema

export const setRoleSchema = rotationSchema.extend({ role: roleSchema })

export const attestSchema = z.object({ links: linksSchema })

export const signCharterSchema = z.object({ version: boundedInteger({ min: 1, message: 'Numéro de version de la charte invalide.' }), hash: hexHashSchema, signature: signatureSchema })

export const publishCharterSchema = z.object({ charter: z.unknown(), links: linksSchema, hash: hexHashSchema, signature: signatureSchema })

/** The (seq, hash) of the last roster head this browser saw, as kept in localStorage (DESIGN §7). */
export const rosterPinSchema = z
  .object({ seq: z.number().int().min(0), hash: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })
  .strict()

/**
 * The last anchored head this browser knows for a cell (decision 022); `conflictingHash` records a
 * synced pin that disagreed with it at the same seq: a fork, kept so the alarm stays after a reload.
 */
export const rosterAnchorPinSchema = rosterPinSchema.extend({ conflictingHash: z.string().regex(/^[A-Za-z0-9_-]{43}$/).optional() }).strict()

/** What the newcomer's browser keeps (sessionStorage) when it answers an invitation: the keys the SAS binds. */
export const newcomerAnchorSchema = z
  .object({ coordinatorSignPublicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/), signPublicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/), boxPublicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })
  .strict()

/** The account's synced pins, an opaque blob (app/cells/roster-pins.ts): about 100 bytes per cell. */
const rosterPinsBlobSchema = z
  .string({ required_error: 'Repères chiffrés manquants.', invalid_type_error: 'Repères chiffrés invalides.' })
  .min(56, 'Repères chiffrés invalides.')
  .max(24_000, 'Repères chiffrés trop longs.')
  .regex(/^[A-Za-z0-9_-]+$/, 'Repères chiffrés invalides.')

export const rosterPinsCounterSchema = boundedInteger({ min: 1, message: 'Compteur des repères invalide : un nombre entier positif est attendu.' })

/** POST /api/account/roster-pins: the next counter and the blob sealed under it. */
export const storeRosterPinsSchema = z.object({ counter: rosterPinsCounterSchema, blob: rosterPinsBlobSchema }).strict()

/** GET /api/account/roster-pins: counter 0 and no blob before the first write. */
export const rosterPinsResponseSchema = z.union([
  z.object({ counter: z.literal(0), blob: z.null() }),
  z.object({ counter: rosterPinsCounterSchema, blob: rosterPinsBlobSchema }),
])

/** Why the coordination cancels an invitation: withdrawn, or the verification codes read aloud differed. */
export const cancelInvitationSchema = z.object({
  reason: z.enum(['withdrawn', 'codes_differ'], { errorMap: () => ({ message: 'Motif d’annulation inconnu : « withdrawn » ou « codes_differ ».' }) }),
})

/** What GET /api/invitations-cellule/:id tells the page polling it (the invitee, or the coordination). */
export const invitationStatusSchema = z.object({ status: z.enum(['pending', 'answered', 'confirmed', 'cancelled']) })
export type InvitationStatus = z.infer<typeof invitationStatusSchema>['status']

import { z } from 'zod'
import { auditActionSchema, auditOutcomeSchema } from '#journal/actions.ts'
import { RULE_IDS } from './anomalies/rules.ts'
import { RESOURCE_KEY } from './labels.ts'
import { isCalendarDay } from './paris-days.ts'

/** The journal pages' inputs: the timeline's filters, a review of an alert, the resource of « qui a consulté ». */

const dateInput = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Date au format AAAA-MM-JJ attendue.').refine(isCalendarDay, 'Date invalide.')

/** "Older events" continue after the last shown one: its time and queue id, as `<ms>_<id>`. */
const cursorInput = z
  .string()
  .regex(/^\d{1,15}_\d{1,15}$/, 'Page demandée invalide : revenez au début du journal.')
  .transform((value) => {
    const [ms, id] = value.split('_').map(Number) as [number, number]
    return { ms, id }
  })

/** The timeline's filters, from the query string: every field optional, each one checked. */
export const journalFiltersSchema = z.object({
  membre: z.string().uuid('Membre inconnu.').optional(),
  ressource: z.string().max(200).regex(RESOURCE_KEY, 'Ressource inconnue.').optional(),
  action: z.enum(auditActionSchema.options, { errorMap: () => ({ message: 'Action inconnue : choisissez-la dans la liste.' }) }).optional(),
  resultat: z.enum(auditOutcomeSchema.options, { errorMap: () => ({ message: 'Résultat inconnu : choisissez-le dans la liste.' }) }).optional(),
  du: dateInput.optional(),
  au: dateInput.optional(),
  avant: cursorInput.optional(),
})
export type JournalFilters = z.infer<typeof journalFiltersSchema>

export const REVIEW_STATUSES = ['reviewed', 'escalated'] as const

export const reviewSchema = z
  .object({
    intent: z.literal('review'),
    alertId: z.string().regex(new RegExp(`^(${RULE_IDS.join('|')}):[0-9a-f-]{36}$`), 'Alerte inconnue.'),
    /** The alert's last event shown to the DPO: what this review covers (the alert as it is now, if absent). */
    lastEventId: z.string().uuid('Alerte incomplète : rechargez la page.').optional(),
    status: z.enum(REVIEW_STATUSES, { errorMap: () => ({ message: 'Choisissez « revue, sans suite » ou « à approfondir ».' }) }),
    comment: z.string().trim().max(1_000, 'Le commentaire ne peut dépasser 1 000 caractères.'),
  })
  .refine((value) => value.status !== 'escalated' || value.comment.length >= 3, { path: ['comment'], message: 'Expliquez en quelques mots pourquoi l’alerte est à approfondir.' })
export type Review = z.infer<typeof reviewSchema>

/** « Qui a consulté cette ressource ? »: one resource key of the cell. */
export const resourceSchema = z.string().max(200).regex(RESOURCE_KEY, 'Ressource inconnue : choisissez-la dans la liste.')

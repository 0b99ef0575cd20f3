import { z } from 'zod'

/** The thresholds of the anomaly rules; a cell may tighten or relax them within the schema's bounds. */
export type AnomalyConfig = {
  bulkReads: { threshold: number; windowMinutes: number }
  offHours: { timeZone: string; startHour: number; endHour: number }
  repeatedDenials: { threshold: number; windowMinutes: number }
  afterRemoval: { windowHours: number }
  afterCharterChange: { windowMinutes: number }
}

export const DEFAULT_ANOMALY_CONFIG: AnomalyConfig = {
  bulkReads: { threshold: 20, windowMinutes: 60 },
  offHours: { timeZone: 'Europe/Paris', startHour: 7, endHour: 20 },
  repeatedDenials: { threshold: 3, windowMinutes: 10 },
  afterRemoval: { windowHours: 24 },
  afterCharterChange: { windowMinutes: 60 },
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value })
    return true
  } catch {
    return false
  }
}

const defaults = DEFAULT_ANOMALY_CONFIG
const threshold = z.number().int().min(1).max(10_000)
const windowMinutes = z.number().int().min(1).max(7 * 24 * 60)
const hour = z.number().int().min(0).max(24)

/** A cell's settings: every field optional, missing ones take the defaults above. */
export const anomalyConfigSchema = z
  .object({
    bulkReads: z
      .object({ threshold: threshold.default(defaults.bulkReads.threshold), windowMinutes: windowMinutes.default(defaults.bulkReads.windowMinutes) })
      .strict()
      .default({}),
    offHours: z
      .object({
        timeZone: z.string().refine(isTimeZone, 'fuseau horaire inconnu (ex. Europe/Paris)').default(defaults.offHours.timeZone),
        startHour: hour.default(defaults.offHours.startHour),
        endHour: hour.default(defaults.offHours.endHour),
      })
      .strict()
      .refine((hours) => hours.startHour < hours.endHour, { message: 'l’heure de début doit précéder l’heure de fin', path: ['endHour'] })
      .default({}),
    repeatedDenials: z
      .object({ threshold: threshold.default(defaults.repeatedDenials.threshold), windowMinutes: windowMinutes.default(defaults.repeatedDenials.windowMinutes) })
      .strict()
      .default({}),
    afterRemoval: z
      .object({ windowHours: z.number().int().min(1).max(30 * 24).default(defaults.afterRemoval.windowHours) })
      .strict()
      .default({}),
    afterCharterChange: z
      .object({ windowMinutes: windowMinutes.default(defaults.afterCharterChange.windowMinutes) })
      .strict()
      .default({}),
  })
  .strict() satisfies z.ZodType<AnomalyConfig, z.ZodTypeDef, unknown>

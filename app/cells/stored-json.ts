import { type z } from 'zod'

/**
 * A value this browser kept in localStorage, parsed with its schema. An unreadable one is not
 * « nothing stored »: for a roster pin that would switch the rollback and fork checks off, so the
 * reason is reported and the caller raises the alarm.
 */
export type StoredJson<T> = { kind: 'none' } | { kind: 'read'; value: T } | { kind: 'unreadable'; reason: string }

export function readStoredJson<T>({ key, schema }: { key: string; schema: z.ZodType<T, z.ZodTypeDef, unknown> }): StoredJson<T> {
  let raw: string | null
  try {
    raw = window.localStorage.getItem(key)
  } catch {
    return { kind: 'unreadable', reason: 'le stockage local de ce navigateur est inaccessible' }
  }
  if (raw === null) return { kind: 'none' }
  let stored: unknown
  try {
    stored = JSON.parse(raw)
  } catch {
    return { kind: 'unreadable', reason: 'elle n’est pas du JSON' }
  }
  const parsed = schema.safeParse(stored)
  return parsed.success ? { kind: 'read', value: parsed.data } : { kind: 'unreadable', reason: 'sa forme est inattendue' }
}

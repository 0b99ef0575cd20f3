import { type z } from 'zod'

/** A JSON column whose stored value does not match its schema: the row was altered outside the app. */
export class StoredValueError extends Error {
  override name = 'StoredValueError'
}

/** Parses what a JSON column holds; `where` names the row in the error (never the value: it may be personal). */
export function parseStored<Schema extends z.ZodTypeAny>({ schema, value, where }: { schema: Schema; value: unknown; where: string }): z.output<Schema> {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw new StoredValueError(`${where} does not match its schema (${issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid'})`)
}

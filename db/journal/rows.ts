import { type SQL } from 'drizzle-orm'
import { type Database } from '../database.ts'

type Executor = Pick<Database, 'execute'>

/** Raw rows of a query, the same on node-postgres and PGlite (both answer `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as { rows: T[] }
  return result.rows
}

/** bigint columns come back as strings from node-postgres and as numbers or bigints from PGlite. */
export function toSafeNumber(value: unknown): number {
  const number = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : (value as number)
  if (!Number.isSafeInteger(number)) throw new RangeError(`not a safe integer: ${String(value)}`)
  return number
}

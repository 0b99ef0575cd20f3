import { and, eq, gte, inArray, lt, max, sql, type SQL } from 'drizzle-orm'
import { type Database } from './database.ts'
import { throttleCounters } from './schema.ts'
import { hashToken } from './tokens.ts'

/**
 * The throttles' counts in PostgreSQL, shared by every app process (decision 019). Each failure is
 * one UPSERT computed by the database from the row it finds, so N concurrent failures count N
 * whichever process records them. Keys are stored as their SHA-256 (see the table's comment).
 */

/** After `freeFailures` failures each new one doubles the wait from `baseDelayMs`, up to `maxDelayMs`; `forgetAfterMs` after the last failure the count starts again. */
export type ThrottleRule = { freeFailures: number; baseDelayMs: number; maxDelayMs: number; forgetAfterMs: number }

type Keys = { scope: string; keys: readonly string[] }

function keyHashes(keys: readonly string[]): string[] {
  // One row per key: the same key twice in one UPSERT would be an error.
  return [...new Set(keys)].map(key => hashToken(key))
}

// node-postgres and PGlite both answer `{ rows }`.
const rowsOf = (result: unknown) => (result as { rows: unknown[] }).rows

const at = (ms: number) => sql`${new Date(ms).toISOString()}::timestamptz`

/** When a key with `failures` failures may try again: `now + min(max, base × 2^(failures − free))`, or never blocked. */
function blockedUntil({ failures, rule, now }: { failures: SQL; rule: ThrottleRule; now: number }): SQL {
  // The exponent is capped: 2^60 × base is already far past any maxDelayMs.
  const delayMs = sql`least(${rule.maxDelayMs}::float8, ${rule.baseDelayMs}::float8 * power(2::float8, least(${failures} - ${rule.freeFailures}::int, 60)))`
  return sql`case when ${failures} >= ${rule.freeFailures}::int then ${at(now)} + ${delayMs} * interval '1 millisecond' else 'epoch'::timestamptz end`
}

/** The latest time any of these keys is blocked until, in epoch ms (0 when none is counted). */
export async function throttleBlockedUntil(db: Database, { scope, keys, now }: Keys & { now: number }): Promise<number> {
  const hashes = keyHashes(keys)
  if (hashes.length === 0) return 0
  const [row] = await db
    .select({ blockedUntil: max(throttleCounters.blockedUntil) })
    .from(throttleCounters)
    .where(and(eq(throttleCounters.scope, scope), inArray(throttleCounters.keyHash, hashes), gte(throttleCounters.forgetAt, new Date(now))))
  return row?.blockedUntil ? new Date(row.blockedUntil).getTime() : 0
}

/**
 * Counts one attempt on each key that is not blocked, in one statement: a new row, a count past
 * `forget_at` started again, or the count plus one. A blocked key's row is left as it is (a refused
 * attempt does not count); returns how many keys were counted. Concurrent calls queue on the row
 * lock, so each sees the count the previous one left: N attempts count N until the block starts.
 */
export async function countThrottleAttempt(db: Database, { scope, keys, rule, now }: Keys & { rule: ThrottleRule; now: number }): Promise<number> {
  const hashes = keyHashes(keys)
  if (hashes.length === 0) return 0
  const forgetAt = at(now + rule.forgetAfterMs)
  const rows = hashes.map(hash => sql`(${scope}, ${hash}, 1, ${blockedUntil({ failures: sql`1`, rule, now })}, ${at(now)}, ${forgetAt})`)
  const forgotten = sql`throttle_counters.forget_at < ${at(now)}`
  const failures = sql`(case when ${forgotten} then 1 else throttle_counters.failures + 1 end)`
  const counted = await db.execute(sql`
    insert into throttle_counters (scope, key_hash, failures, blocked_until, last_failure_at, forget_at)
    values ${sql.join(rows, sql`, `)}
    on conflict (scope, key_hash) do update set
      failures = ${failures},
      blocked_until = ${blockedUntil({ failures, rule, now })},
      last_failure_at = excluded.last_failure_at,
      forget_at = excluded.forget_at
    where ${forgotten} or throttle_counters.blocked_until <= ${at(now)}
    returning key_hash`)
  return rowsOf(counted).length
}

/** A success clears these keys. */
export async function clearThrottleKeys(db: Database, { scope, keys }: Keys): Promise<void> {
  const hashes = keyHashes(keys)
  if (hashes.length === 0) return
  await db.delete(throttleCounters).where(and(eq(throttleCounters.scope, scope), inArray(throttleCounters.keyHash, hashes)))
}

/** Deletes the rows of `scope` that no longer count; returns how many. */
export async function purgeForgottenThrottles(db: Database, { scope, now }: { scope: string; now: number }): Promise<number> {
  const removed = await db
    .delete(throttleCounters)
    .where(and(eq(throttleCounters.scope, scope), lt(throttleCounters.forgetAt, new Date(now))))
    .returning({ keyHash: throttleCounters.keyHash })
  return removed.length
}

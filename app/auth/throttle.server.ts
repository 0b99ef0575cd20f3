import { type Database } from '#db/database.ts'
import { clearThrottleKeys, countThrottleAttempt, purgeForgottenThrottles, throttleBlockedUntil, type ThrottleRule } from '#db/throttles.ts'
import { HttpError } from '#app/access/http-error.ts'

/**
 * Failure-driven backoff, counted in the database so that every app process behind a load balancer
 * sees the same counts (decision 019). An attempt counts as a failure from the moment it is let
 * through (`attempt`) until a success clears its keys (`recordSuccess`): so concurrent attempts
 * cannot all pass before the first failure is written. After `freeFailures` failures for a key,
 * each new one doubles the wait, up to `maxDelayMs`; `forgetAfterMs` after its last failure a key
 * starts again from zero; an attempt refused while blocked does not count.
 */
export class Throttle {
  private readonly db: Database
  private readonly scope: string
  private readonly rule: ThrottleRule
  /** When this process last purged the scope's forgotten rows: a schedule, not a count. */
  private lastPurgeAt = 0

  constructor({ db, scope, rule }: { db: Database; scope: string; rule: ThrottleRule }) {
    this.db = db
    this.scope = scope
    this.rule = rule
  }

  /** Seconds to wait before another attempt on any of these keys, or 0. */
  async retryAfterSeconds(keys: readonly string[], now = Date.now()): Promise<number> {
    const blockedUntil = await throttleBlockedUntil(this.db, { scope: this.scope, keys, now })
    return Math.ceil(Math.max(0, blockedUntil - now) / 1000)
  }

  /**
   * Lets one attempt through and counts it, or answers how long to wait (then nothing is counted).
   * Several keys: checked first, so that none counts when one is blocked.
   */
  async attempt(keys: readonly string[], now = Date.now()): Promise<number> {
    return attemptAll([{ throttle: this, keys }], now)
  }

  /** The counting step of `attempt`, without the check: 0 when every key was counted. */
  async count(keys: readonly string[], now: number): Promise<number> {
    const distinct = new Set(keys).size
    const counted = await countThrottleAttempt(this.db, { scope: this.scope, keys, rule: this.rule, now })
    if (now - this.lastPurgeAt >= PURGE_EVERY_MS) {
      this.lastPurgeAt = now
      await purgeForgottenThrottles(this.db, { scope: this.scope, now })
    }
    if (counted === distinct) return 0
    // Another request's attempt started the block between our check and our count.
    return Math.max(1, await this.retryAfterSeconds(keys, now))
  }

  async recordSuccess(keys: readonly string[]): Promise<void> {
    await clearThrottleKeys(this.db, { scope: this.scope, keys })
  }
}

/**
 * One attempt under several throttles (the account and the client address): the wait of the most
 * blocked, and then nothing is counted; else the attempt counts on each. Only a race lost to a
 * concurrent attempt can refuse it after some throttles counted it.
 */
export async function attemptAll(claims: ReadonlyArray<{ throttle: Throttle; keys: readonly string[] }>, now = Date.now()): Promise<number> {
  if (claims.length > 1 || claims.some(claim => new Set(claim.keys).size > 1)) {
    const waits = await Promise.all(claims.map(claim => claim.throttle.retryAfterSeconds(claim.keys, now)))
    const wait = Math.max(0, ...waits)
    if (wait > 0) return wait
  }
  for (const claim of claims) {
    const wait = await claim.throttle.count(claim.keys, now)
    if (wait > 0) return wait
  }
  return 0
}

const MINUTE = 60_000
/** Old rows go on the failure path, at most once a minute per process and scope. */
const PURGE_EVERY_MS = MINUTE

/** The set a runtime holds (server/runtime.ts), over the database every process shares. */
export type Throttles = ReturnType<typeof createThrottles>

export function createThrottles(db: Database) {
  const throttle = (scope: string, rule: ThrottleRule) => new Throttle({ db, scope, rule })
  return {
    /** Password step: 5 free failures per account, then 30 s, 1 min, 2 min … up to 15 min. */
    login: throttle('login', { freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * MINUTE, forgetAfterMs: 60 * MINUTE }),
    /** Per client address, looser: a hospital or town hall puts many people behind one address. */
    address: throttle('address', { freeFailures: 50, baseDelayMs: 30_000, maxDelayMs: 15 * MINUTE, forgetAfterMs: 60 * MINUTE }),
    totp: throttle('totp', { freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * MINUTE, forgetAfterMs: 60 * MINUTE }),
    recovery: throttle('recovery', { freeFailures: 5, baseDelayMs: 60_000, maxDelayMs: 30 * MINUTE, forgetAfterMs: 120 * MINUTE }),
    /** Pre-login and registration count every request, not only failures (they cannot fail visibly). */
    preLogin: throttle('pre-login', { freeFailures: 60, baseDelayMs: 10_000, maxDelayMs: 5 * MINUTE, forgetAfterMs: 10 * MINUTE }),
    registration: throttle('registration', { freeFailures: 10, baseDelayMs: 60_000, maxDelayMs: 30 * MINUTE, forgetAfterMs: 60 * MINUTE }),
    /** Anonymous public actions (a doctor's saisine): every request counts, per client address. */
    publicAction: throttle('public-action', { freeFailures: 30, baseDelayMs: 10_000, maxDelayMs: 10 * MINUTE, forgetAfterMs: 30 * MINUTE }),
  }
}

export function tooManyAttempts(retryAfterSeconds: number): HttpError {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60))
  return new HttpError(429, `Trop de tentatives. Par sécurité, patientez ${minutes} minute${minutes > 1 ? 's' : ''} avant de réessayer.`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  })
}

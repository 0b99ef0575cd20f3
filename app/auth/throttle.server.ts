import { HttpError } from '#app/access/http-error.ts'
/**
 * Failure-driven backoff, in memory (one process serves the app; several servers would share it
 * through the database, see docs/operations.md). After `freeFailures` failures for a key, each new
 * failure doubles the wait, up to `maxDelayMs`; a success clears the key.
 */
type Entry = { failures: number; blockedUntil: number; lastFailureAt: number }

export class Throttle {
  private readonly entries = new Map<string, Entry>()
  private readonly freeFailures: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly forgetAfterMs: number

  constructor({ freeFailures, baseDelayMs, maxDelayMs, forgetAfterMs }: { freeFailures: number; baseDelayMs: number; maxDelayMs: number; forgetAfterMs: number }) {
    this.freeFailures = freeFailures
    this.baseDelayMs = baseDelayMs
    this.maxDelayMs = maxDelayMs
    this.forgetAfterMs = forgetAfterMs
  }

  /** Seconds to wait before another attempt on any of these keys, or 0. */
  retryAfterSeconds(keys: readonly string[], now = Date.now()): number {
    let waitMs = 0
    for (const key of keys) {
      const entry = this.entries.get(key)
      if (!entry) continue
      if (now - entry.lastFailureAt > this.forgetAfterMs) {
        this.entries.delete(key)
        continue
      }
      waitMs = Math.max(waitMs, entry.blockedUntil - now)
    }
    return Math.ceil(Math.max(0, waitMs) / 1000)
  }

  recordFailure(keys: readonly string[], now = Date.now()): void {
    for (const key of keys) {
      const entry = this.entries.get(key) ?? { failures: 0, blockedUntil: 0, lastFailureAt: now }
      entry.failures += 1
      entry.lastFailureAt = now
      const excess = entry.failures - this.freeFailures
      if (excess >= 0) entry.blockedUntil = now + Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** excess)
      this.entries.set(key, entry)
    }
    if (this.entries.size > 100_000) this.prune(now)
  }

  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key)
  }

  private prune(now: number) {
    for (const [key, entry] of this.entries) if (now - entry.lastFailureAt > this.forgetAfterMs) this.entries.delete(key)
  }
}

const MINUTE = 60_000

/** The set a runtime holds (server/runtime.ts): one per process. */
export type Throttles = ReturnType<typeof createThrottles>

export function createThrottles() {
  return {
    /** Password step: 5 free failures per account, then 30 s, 1 min, 2 min … up to 15 min. */
    login: new Throttle({ freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * MINUTE, forgetAfterMs: 60 * MINUTE }),
    /** Per client address, looser: a hospital or town hall puts many people behind one address. */
    address: new Throttle({ freeFailures: 50, baseDelayMs: 30_000, maxDelayMs: 15 * MINUTE, forgetAfterMs: 60 * MINUTE }),
    totp: new Throttle({ freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * MINUTE, forgetAfterMs: 60 * MINUTE }),
    recovery: new Throttle({ freeFailures: 5, baseDelayMs: 60_000, maxDelayMs: 30 * MINUTE, forgetAfterMs: 120 * MINUTE }),
    /** Pre-login and registration count every request, not only failures (they cannot fail visibly). */
    preLogin: new Throttle({ freeFailures: 60, baseDelayMs: 10_000, maxDelayMs: 5 * MINUTE, forgetAfterMs: 10 * MINUTE }),
    registration: new Throttle({ freeFailures: 10, baseDelayMs: 60_000, maxDelayMs: 30 * MINUTE, forgetAfterMs: 60 * MINUTE }),
    /** Anonymous public actions (a doctor's saisine): every request counts, per client address. */
    publicAction: new Throttle({ freeFailures: 30, baseDelayMs: 10_000, maxDelayMs: 10 * MINUTE, forgetAfterMs: 30 * MINUTE }),
  }
}

export function tooManyAttempts(retryAfterSeconds: number): HttpError {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60))
  return new HttpError(429, `Trop de tentatives. Par sécurité, patientez ${minutes} minute${minutes > 1 ? 's' : ''} avant de réessayer.`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  })
}

import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toBase64Url } from '#crypto/encoding.ts'
import { randomKey } from '#crypto/primitives.ts'
import { throttleCounters } from '#db/schema.ts'
import { hashToken } from '#db/tokens.ts'
import { createThrottles } from '#app/auth/throttle.server.ts'
import { postJson, registerUser, resetThrottles, type TestUser } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { createTestDatabase, type TestDatabase } from '#tests/support/test-database.ts'

/**
 * The throttles count in the database (decision 019): every process behind a load balancer sees the
 * same counts, N concurrent failures count N, and the semantics of decision 008 are kept.
 */

const T0 = Date.parse('2026-12-01T09:00:00Z')
const SECOND = 1000
const MINUTE = 60 * SECOND

let database: TestDatabase
const db = () => database.handle.db

async function countOf(scope: string, key: string): Promise<number | undefined> {
  const [row] = await db()
    .select({ failures: throttleCounters.failures })
    .from(throttleCounters)
    .where(and(eq(throttleCounters.scope, scope), eq(throttleCounters.keyHash, hashToken(key))))
  return row?.failures
}

describe('throttle counts in the database', () => {
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(async () => {
    await database?.cleanup()
  })
  beforeEach(async () => {
    await db().delete(throttleCounters)
  })

  it('login: four failures are free, the fifth blocks 30 s, each next one doubles the wait, up to 15 minutes', async () => {
    const { login } = createThrottles(db())
    const keys = ['account:alice@exemple.fr']
    const waits: number[] = []
    for (let failure = 1; failure <= 12; failure++) {
      await login.recordFailure(keys, T0)
      waits.push(await login.retryAfterSeconds(keys, T0))
    }
    expect(waits).toEqual([0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900])
    // The wait runs from the last failure.
    expect(await login.retryAfterSeconds(keys, T0 + 10 * MINUTE)).toBe(5 * 60)
    expect(await login.retryAfterSeconds(keys, T0 + 15 * MINUTE)).toBe(0)
  })

  it('a success clears its keys only; the wait is the longest of the keys asked about', async () => {
    const { login } = createThrottles(db())
    for (let failure = 0; failure < 5; failure++) await login.recordFailure(['account:a', 'account:b'], T0)
    await login.recordFailure(['account:b'], T0)
    expect(await login.retryAfterSeconds(['account:a'], T0)).toBe(30)
    expect(await login.retryAfterSeconds(['account:a', 'account:b'], T0)).toBe(60)
    await login.recordSuccess(['account:b'])
    expect(await login.retryAfterSeconds(['account:b'], T0)).toBe(0)
    expect(await login.retryAfterSeconds(['account:a'], T0)).toBe(30)
  })

  it('forgets a key an hour after its last failure: the count starts again from one', async () => {
    const { login } = createThrottles(db())
    const keys = ['account:oubli@exemple.fr']
    for (let failure = 0; failure < 7; failure++) await login.recordFailure(keys, T0)
    expect(await login.retryAfterSeconds(keys, T0 + 59 * MINUTE)).toBe(0)
    expect(await countOf('login', keys[0] as string)).toBe(7)
    const later = T0 + 60 * MINUTE + SECOND
    expect(await login.retryAfterSeconds(keys, later)).toBe(0)
    await login.recordFailure(keys, later)
    expect(await countOf('login', keys[0] as string)).toBe(1)
    for (let failure = 0; failure < 4; failure++) await login.recordFailure(keys, later)
    expect(await login.retryAfterSeconds(keys, later)).toBe(30)
  })

  it('scopes count apart: a failed second factor does not slow the password step', async () => {
    const throttles = createThrottles(db())
    for (let failure = 0; failure < 6; failure++) await throttles.totp.recordFailure(['account:x'], T0)
    expect(await throttles.totp.retryAfterSeconds(['account:x'], T0)).toBe(60)
    expect(await throttles.login.retryAfterSeconds(['account:x'], T0)).toBe(0)
  })

  it('two processes on one database share the counts (a load balancer alternating between them)', async () => {
    const first = createThrottles(db())
    const second = createThrottles(db())
    const keys = ['account:partage@exemple.fr']
    for (let failure = 0; failure < 5; failure++) await (failure % 2 === 0 ? first : second).login.recordFailure(keys, T0)
    expect(await first.login.retryAfterSeconds(keys, T0)).toBe(30)
    expect(await second.login.retryAfterSeconds(keys, T0)).toBe(30)
    await second.login.recordSuccess(keys)
    expect(await first.login.retryAfterSeconds(keys, T0)).toBe(0)
  })

  it('N concurrent failures from several processes count N (one UPSERT each, no lost update)', async () => {
    const processes = [createThrottles(db()), createThrottles(db()), createThrottles(db())]
    const keys = ['account:rafale@exemple.fr', 'ip:192.0.2.9']
    const failures = 40
    await Promise.all(Array.from({ length: failures }, (_, index) => (processes[index % processes.length] as (typeof processes)[number]).address.recordFailure(keys, T0)))
    expect(await countOf('address', 'account:rafale@exemple.fr')).toBe(failures)
    expect(await countOf('address', 'ip:192.0.2.9')).toBe(failures)
    // The address throttle's 50 free failures are not reached: ten more, and the wait doubles from there.
    expect(await processes[0]?.address.retryAfterSeconds(keys, T0)).toBe(0)
    await Promise.all(Array.from({ length: 11 }, () => processes[1]?.address.recordFailure(keys, T0)))
    expect(await processes[2]?.address.retryAfterSeconds(keys, T0)).toBe(60)
  })

  it('stores the SHA-256 of each key, never the address or the email', async () => {
    const { preLogin } = createThrottles(db())
    await preLogin.recordFailure(['203.0.113.7', '203.0.113.7'], T0)
    const rows = await db().select().from(throttleCounters)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ scope: 'pre-login', keyHash: hashToken('203.0.113.7'), failures: 1 })
    expect(JSON.stringify(rows)).not.toContain('203.0.113.7')
  })

  it('purges forgotten rows of the scope on a later failure', async () => {
    const early = createThrottles(db())
    await early.registration.recordFailure(['ip:ancien'], T0)
    await early.login.recordFailure(['account:autre-portee'], T0)
    // A process started later (its first failure purges), two hours on: the registration row is past its hour.
    const later = createThrottles(db())
    await later.registration.recordFailure(['ip:nouveau'], T0 + 2 * 60 * MINUTE)
    const rows = await db().select({ scope: throttleCounters.scope, keyHash: throttleCounters.keyHash }).from(throttleCounters)
    expect(rows.map(row => row.keyHash).sort()).toEqual([hashToken('account:autre-portee'), hashToken('ip:nouveau')].sort())
  })
})

describe('two app processes behind a load balancer', () => {
  let first: InProcessApp
  let second: InProcessApp
  let alice: TestUser

  beforeAll(async () => {
    first = await startInProcessApp()
    second = await startInProcessApp({ besides: first })
    alice = await registerUser(first, { email: 'alice.equilibrage@exemple.fr', password: 'Equilibrage-Mot-de-passe-2026!' })
    await resetThrottles(first)
  })
  afterAll(async () => {
    await second?.close()
    await first?.close()
  })

  it('wrong passwords spread over both processes add up: the sixth attempt is refused by either, even with the right password', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await postJson(attempt % 2 === 0 ? first : second, '/api/auth/login', { email: alice.email, authSecret: toBase64Url(randomKey()) })
      expect(response.status).toBe(401)
    }
    for (const app of [first, second]) {
      const right = await postJson(app, '/api/auth/login', { email: alice.email, authSecret: alice.authSecret })
      expect(right.status).toBe(429)
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(right.sessionCookie).toBeUndefined()
    }
  })
})

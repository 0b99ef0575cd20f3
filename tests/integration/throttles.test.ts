import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toBase64Url } from '#crypto/encoding.ts'
import { randomKey } from '#crypto/primitives.ts'
import { throttleCounters } from '#db/schema.ts'
import { hashToken } from '#db/tokens.ts'
import { attemptAll, createThrottles } from '#app/auth/throttle.server.ts'
import { postJson, registerUser, resetThrottles, type TestUser } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { createTestDatabase, type TestDatabase } from '#tests/support/test-database.ts'

/**
 * The throttles count in the database (decision 019): every process behind a load balancer sees the
 * same counts, N concurrent attempts count N (and no more than the free ones pass), and the rules of
 * decision 008 are kept. The concurrency is real on the PostgreSQL server (a pool of connections).
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
    let now = T0
    for (let failure = 1; failure <= 12; failure++) {
      expect(await login.attempt(keys, now)).toBe(0)
      const wait = await login.retryAfterSeconds(keys, now)
      waits.push(wait)
      now += wait * SECOND
    }
    expect(waits).toEqual([0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900])
    // The wait runs from the last failure.
    expect(await login.retryAfterSeconds(keys, now - 5 * MINUTE)).toBe(5 * 60)
  })

  it('an attempt refused while blocked is not counted; a success clears its keys only', async () => {
    const { login } = createThrottles(db())
    for (let failure = 0; failure < 5; failure++) expect(await login.attempt(['account:a'], T0)).toBe(0)
    expect(await login.attempt(['account:a'], T0 + 10 * SECOND)).toBe(20)
    expect(await countOf('login', 'account:a')).toBe(5)
    for (let failure = 0; failure < 6; failure++) await login.attempt(['account:b'], T0 + failure * MINUTE)
    expect(await login.retryAfterSeconds(['account:a', 'account:b'], T0 + 5 * MINUTE)).toBe(60)
    await login.recordSuccess(['account:b'])
    expect(await login.retryAfterSeconds(['account:b'], T0 + 5 * MINUTE)).toBe(0)
    expect(await login.retryAfterSeconds(['account:a'], T0)).toBe(30)
  })

  it('forgets a key an hour after its last failure: the count starts again from one', async () => {
    const { login } = createThrottles(db())
    const keys = ['account:oubli@exemple.fr']
    for (let failure = 0; failure < 6; failure++) await login.attempt(keys, T0 + failure * MINUTE)
    expect(await countOf('login', 'account:oubli@exemple.fr')).toBe(6)
    const later = T0 + 65 * MINUTE + SECOND
    expect(await login.retryAfterSeconds(keys, later)).toBe(0)
    expect(await login.attempt(keys, later)).toBe(0)
    expect(await countOf('login', 'account:oubli@exemple.fr')).toBe(1)
    for (let failure = 0; failure < 4; failure++) await login.attempt(keys, later)
    expect(await login.retryAfterSeconds(keys, later)).toBe(30)
  })

  it('scopes count apart: a failed second factor does not slow the password step', async () => {
    const throttles = createThrottles(db())
    for (let failure = 0; failure < 5; failure++) await throttles.totp.attempt(['account:x'], T0)
    expect(await throttles.totp.retryAfterSeconds(['account:x'], T0)).toBe(30)
    expect(await throttles.login.retryAfterSeconds(['account:x'], T0)).toBe(0)
  })

  it('under several throttles, a blocked one refuses the attempt and the others do not count it', async () => {
    const { login, address } = createThrottles(db())
    for (let failure = 0; failure < 50; failure++) expect(await address.attempt(['ip:192.0.2.50'], T0)).toBe(0)
    expect(await attemptAll([{ throttle: login, keys: ['account:victime'] }, { throttle: address, keys: ['ip:192.0.2.50'] }], T0)).toBe(30)
    expect(await countOf('login', 'account:victime')).toBeUndefined()
    expect(await attemptAll([{ throttle: login, keys: ['account:victime'] }, { throttle: address, keys: ['ip:198.51.100.1'] }], T0)).toBe(0)
    expect(await countOf('login', 'account:victime')).toBe(1)
    expect(await countOf('address', 'ip:198.51.100.1')).toBe(1)
  })

  it('two processes on one database share the counts (a load balancer alternating between them)', async () => {
    const first = createThrottles(db())
    const second = createThrottles(db())
    const keys = ['account:partage@exemple.fr']
    for (let failure = 0; failure < 5; failure++) expect(await (failure % 2 === 0 ? first : second).login.attempt(keys, T0)).toBe(0)
    expect(await first.login.attempt(keys, T0)).toBe(30)
    expect(await second.login.attempt(keys, T0)).toBe(30)
    await second.login.recordSuccess(keys)
    expect(await first.login.attempt(keys, T0)).toBe(0)
  })

  it('N concurrent attempts from several processes count N, and no more pass than the free ones', async () => {
    const processes = [createThrottles(db()), createThrottles(db()), createThrottles(db())]
    const throttlesOf = (index: number) => processes[index % processes.length] as (typeof processes)[number]
    // Below the address throttle's 50 free failures: every attempt passes and counts (no lost update).
    const under = await Promise.all(Array.from({ length: 40 }, (_, index) => throttlesOf(index).address.attempt(['ip:192.0.2.9'], T0)))
    expect(under.every(wait => wait === 0)).toBe(true)
    expect(await countOf('address', 'ip:192.0.2.9')).toBe(40)
    // Past the login throttle's budget: five pass (the fifth starts the block), the others wait.
    const over = await Promise.all(Array.from({ length: 20 }, (_, index) => throttlesOf(index).login.attempt(['account:rafale@exemple.fr'], T0)))
    expect(over.filter(wait => wait === 0)).toHaveLength(5)
    expect(over.filter(wait => wait === 30)).toHaveLength(15)
    expect(await countOf('login', 'account:rafale@exemple.fr')).toBe(5)
  })

  it('stores the SHA-256 of each key, never the address or the email', async () => {
    const { preLogin } = createThrottles(db())
    await preLogin.attempt(['203.0.113.7', '203.0.113.7'], T0)
    const rows = await db().select().from(throttleCounters)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ scope: 'pre-login', keyHash: hashToken('203.0.113.7'), failures: 1 })
    expect(JSON.stringify(rows)).not.toContain('203.0.113.7')
  })

  it('purges forgotten rows of the scope on a later failure', async () => {
    const early = createThrottles(db())
    await early.registration.attempt(['ip:ancien'], T0)
    await early.login.attempt(['account:autre-portee'], T0)
    // A process started later (its first failure purges), two hours on: the registration row is past its hour.
    const later = createThrottles(db())
    await later.registration.attempt(['ip:nouveau'], T0 + 2 * 60 * MINUTE)
    const rows = await db().select({ keyHash: throttleCounters.keyHash }).from(throttleCounters)
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

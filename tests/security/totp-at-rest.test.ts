import { spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { initCrypto } from '#crypto/sodium.ts'
import { insertUser } from '#db/accounts.ts'
import { queryRows } from '#db/journal/rows.ts'
import { openDatabase } from '#db/open.ts'
import { users } from '#db/schema.ts'
import { totpKeyFromBytes, totpKeyFromFileText, type TotpKey } from '#db/totp-key.ts'
import { openTotpSecret, TotpSecretError } from '#db/totp-secret.ts'
import {
  acceptableTotpCodes,
  fakeKeyMaterial,
  freshTotpCode,
  getPage,
  loginBothFactors,
  loginPasswordOnly,
  postJson,
  registerUser,
  resetThrottles,
  sessionRow,
  type TestUser,
} from '#tests/support/account-fixtures.ts'
import { projectRoot, runServerProcess, startApp, type RunningApp } from '#tests/support/app-process.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { testDatabaseKind } from '#tests/support/test-database.ts'

/**
 * Issue 11, item 7: TOTP secrets are sealed under a key kept outside the database
 * (TOTP_KEY_FILE, decision 014), bound to their row, and the clear secrets of older versions are
 * sealed at the first start.
 */

const PASSWORD = 'Totp-au-repos-2026!'
const WRONG_CODE = 'Code incorrect'

async function storedSecretOf(db: InProcessApp['database']['handle']['db'], userId: string): Promise<string | null> {
  const [row] = await db.select({ totpSecret: users.totpSecret }).from(users).where(eq(users.id, userId))
  return row?.totpSecret ?? null
}

describe('through the routes', () => {
  let app: InProcessApp
  let alice: TestUser
  let bob: TestUser

  beforeAll(async () => {
    app = await startInProcessApp()
    alice = await registerUser(app, { email: 'alice.repos@exemple.fr', password: PASSWORD })
    bob = await registerUser(app, { email: 'bob.repos@exemple.fr', password: PASSWORD, profession: 'infirmier', rppsNumber: '', adeliNumber: '123456789' })
  })
  afterAll(async () => {
    await app?.close()
  })
  beforeEach(async () => {
    await resetThrottles(app)
  })

  it('stores no base32 secret after enrolment: the row opens only with the key file', async () => {
    const db = app.database.handle.db
    const stored = await storedSecretOf(db, alice.userId)
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/)
    // Nowhere in the row, in any column or spelling.
    const [row] = await queryRows<{ text: string }>(db, sql`select row_to_json(u)::text as text from users u where u.id = ${alice.userId}`)
    for (const spelling of [alice.totpSecret, alice.totpSecret.toLowerCase(), alice.totpSecret.slice(0, 12)]) expect(row?.text).not.toContain(spelling)
    expect(Buffer.from(stored ?? '').toString()).not.toContain(alice.totpSecret.slice(0, 12))

    // Without the key file nothing opens it; with it, the secret the authenticator app holds.
    const guess: TotpKey = await totpKeyFromBytes(randomBytes(32))
    expect(() => openTotpSecret({ stored: stored ?? '', userId: alice.userId, key: guess })).toThrow(TotpSecretError)
    expect(openTotpSecret({ stored: stored ?? '', userId: alice.userId, key: app.totpKey })).toBe(alice.totpSecret)
  })

  it('still logs in with a TOTP code', async () => {
    const cookie = await loginBothFactors(app, alice)
    expect((await sessionRow(app, cookie))?.mfaVerified).toBe(true)
    expect((await getPage(app, '/compte', { cookie })).status).toBe(200)
  })

  it('refuses a sealed secret copied onto another account, even with codes of the copied secret', async () => {
    const db = app.database.handle.db
    const bobsOwn = await storedSecretOf(db, bob.userId)
    await db.update(users).set({ totpSecret: await storedSecretOf(db, alice.userId) }).where(eq(users.id, bob.userId))
    try {
      const cookie = await loginPasswordOnly(app, bob)
      for (const code of [...acceptableTotpCodes(alice.totpSecret, alice.email).slice(1, 4), (await freshTotpCode(app, bob)).code]) {
        const response = await postJson(app, '/api/auth/totp', { code }, { cookie })
        expect(response.status).toBe(500)
        expect(response.text).not.toContain(WRONG_CODE)
        expect(response.sessionCookie).toBeUndefined()
      }
      expect((await sessionRow(app, cookie))?.mfaVerified).toBe(false)
      // The operator is told what happened and to whom.
      await new Promise(resolve => setTimeout(resolve, 50))
      expect(app.logs()).toMatch(new RegExp(`Secret TOTP altéré ou copié depuis un autre compte.*${bob.userId}`))
    } finally {
      await db.update(users).set({ totpSecret: bobsOwn }).where(eq(users.id, bob.userId))
    }
    await loginBothFactors(app, bob)
  })

  it('with a wrong key, fails with an operator error, never a silent “bad code”', async () => {
    const cookie = await loginPasswordOnly(app, alice)
    const { code } = await freshTotpCode(app, alice)
    app.runtime.totpKey = await totpKeyFromBytes(randomBytes(32))
    try {
      const response = await postJson(app, '/api/auth/totp', { code }, { cookie })
      expect(response.status).toBe(500)
      expect(response.text).not.toContain(WRONG_CODE)
      await new Promise(resolve => setTimeout(resolve, 50))
      expect(app.logs()).toMatch(/TOTP_KEY_FILE n’est pas la clé en service/)
    } finally {
      app.runtime.totpKey = app.totpKey
    }
    expect((await postJson(app, '/api/auth/totp', { code }, { cookie })).status).toBe(200)
  })

  it('after admin:reset removed an unreadable secret, keeps the second factor required: no login, no new enrolment', async () => {
    const db = app.database.handle.db
    const bobsOwn = await storedSecretOf(db, bob.userId)
    await db.update(users).set({ totpSecret: null }).where(eq(users.id, bob.userId))
    try {
      const cookie = await loginPasswordOnly(app, bob)
      const response = await postJson(app, '/api/auth/totp', { code: '123456' }, { cookie })
      expect(response.status).toBe(409)
      expect(response.text).toMatch(/réinitialisée/)
      expect((await getPage(app, '/compte/double-authentification', { cookie })).status).toBe(302)
      expect(await storedSecretOf(db, bob.userId)).toBeNull()
    } finally {
      await db.update(users).set({ totpSecret: bobsOwn }).where(eq(users.id, bob.userId))
    }
  })
})

describe(`at start, on ${testDatabaseKind}`, () => {
  const CLEAR_SECRET = 'JBSWY3DPEHPK3PXP'
  const email = `ancien.${randomUUID().slice(0, 8)}@exemple.fr`
  const userId = randomUUID()
  let first: RunningApp
  const running: RunningApp[] = []

  const openData = () =>
    first.databaseUrl ? openDatabase({ kind: 'postgres', databaseUrl: first.databaseUrl, maxConnections: 1 }) : openDatabase({ kind: 'pglite', dataDir: first.dataDir })
  const withData = async <T>(task: (db: Awaited<ReturnType<typeof openData>>['db']) => Promise<T>): Promise<T> => {
    const handle = await openData()
    try {
      return await task(handle.db)
    } finally {
      await handle.close()
    }
  }
  const restart = async (env: Record<string, string> = {}) => {
    const app = await startApp({ dataDir: first.dataDir, env: { SEED_DEMO: 'false', ...(first.databaseUrl ? { DATABASE_URL: first.databaseUrl } : {}), ...env } })
    running.push(app)
    return app
  }
  /** The environment startApp gives a server, to run one that must fail or a command-line tool. */
  const processEnv = (env: Record<string, string>) => ({
    DATA_DIR: first.dataDir,
    ...(first.databaseUrl
      ? { DATABASE_URL: first.databaseUrl, AUDIT_SIGNING_KEY_FILE: path.join(first.dataDir, 'audit-signing-key.pem'), PUBLIC_ORIGIN: 'http://127.0.0.1' }
      : {}),
    ...env,
  })

  beforeAll(async () => {
    await initCrypto()
    first = await startApp()
    expect(await first.stop()).toBe(0)
    // What an older version left: an enrolled account whose secret is in clear.
    await withData(async db => {
      const material = await fakeKeyMaterial(userId)
      await insertUser(db, {
        id: userId,
        email,
        displayName: 'Ancienne Version',
        profession: 'autre',
        rppsNumber: null,
        adeliNumber: null,
        platformRole: 'none',
        saltSeed: randomBytes(32).toString('base64url'),
        authSecretHash: 'not-used',
        recoverySecretHash: 'not-used',
        wrappedAccountKey: material.wrappedAccountKey,
        recoveryWrappedAccountKey: material.recoveryWrappedAccountKey,
        identityPublic: material.identityPublic,
        wrappedIdentitySecrets: material.wrappedIdentitySecrets,
      })
      await db.update(users).set({ totpSecret: CLEAR_SECRET, totpEnabledAt: new Date(), totpLastStep: 0 }).where(eq(users.id, userId))
    })
  })
  afterAll(async () => {
    for (const app of running) await app.stop()
    await first?.dispose()
  })

  it('seals a secret left in clear, once, under the key of TOTP_KEY_FILE (DATA_DIR/totp-key here)', async () => {
    const again = await restart()
    expect(again.output()).toMatch(/"sealed":1.*TOTP secrets found in clear sealed/)
    expect(await again.stop()).toBe(0)
    const key = await totpKeyFromFileText(readFileSync(path.join(first.dataDir, 'totp-key'), 'utf8'))
    const sealed = await withData(db => storedSecretOf(db, userId))
    expect(sealed).toMatch(new RegExp(`^v1\\.${key.id}\\.`))
    expect(sealed).not.toContain(CLEAR_SECRET)
    expect(openTotpSecret({ stored: sealed ?? '', userId, key })).toBe(CLEAR_SECRET)

    // Idempotent: the next start finds nothing in clear and leaves the sealed value as it is.
    const third = await restart()
    expect(third.output()).not.toMatch(/TOTP secrets found in clear/)
    expect(await third.stop()).toBe(0)
    expect(await withData(db => storedSecretOf(db, userId))).toBe(sealed)
  })

  it('is never generated for a production server on PostgreSQL: TOTP_KEY_FILE is required there', async () => {
    const env = { DATA_DIR: first.dataDir, DATABASE_URL: 'postgres://127.0.0.1:1/cellule', AUDIT_SIGNING_KEY_FILE: path.join(first.dataDir, 'audit-signing-key.pem') }
    const result = await runServerProcess({ env }).exited
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('invalid configuration: TOTP_KEY_FILE')
  })

  it('refuses to start with another key file, in one line, and touches nothing', async () => {
    const before = await withData(db => storedSecretOf(db, userId))
    const otherKeyFile = path.join(first.dataDir, 'other-totp-key')
    writeFileSync(otherKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    const result = await runServerProcess({ env: processEnv({ TOTP_KEY_FILE: otherKeyFile }) }).exited
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^Clé TOTP inadaptée \/ wrong TOTP key: .*admin:reset.* \/ this key does not open 1 TOTP secret/)
    expect(result.stdout).not.toContain('Cellule est prête')
    expect(await withData(db => storedSecretOf(db, userId))).toBe(before)
  })

  it('after a lost key, starts again once admin:reset has removed the secrets the new key cannot open', async () => {
    const newKeyFile = path.join(first.dataDir, 'new-totp-key')
    writeFileSync(newKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    // A reset needs the account to exist, which it does; the link itself is not followed here.
    const reset = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/admin-invite.ts', '--reset', '--email', email], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...processEnv({ TOTP_KEY_FILE: newKeyFile }) } as NodeJS.ProcessEnv,
      encoding: 'utf8',
    })
    expect(reset.status, reset.stderr).toBe(0)
    expect(reset.stdout).toMatch(/secret TOTP.*est retiré/)
    const [row] = await withData(db => db.select({ totpSecret: users.totpSecret, totpEnabledAt: users.totpEnabledAt }).from(users).where(eq(users.id, userId)))
    expect(row?.totpSecret).toBeNull()
    expect(row?.totpEnabledAt).toBeInstanceOf(Date)

    const started = await restart({ TOTP_KEY_FILE: newKeyFile })
    expect((await fetch(`${started.url}/healthz`)).status).toBe(200)
    expect(await started.stop()).toBe(0)
  })
})

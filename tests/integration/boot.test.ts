import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { runServerProcess, startApp, type RunningApp } from '#tests/support/app-process.ts'
import { serverUrl, testDatabaseKind } from '#tests/support/test-database.ts'

const apps: RunningApp[] = []
afterAll(async () => {
  await Promise.all(apps.map(app => app.dispose()))
})

describe(`the app on ${testDatabaseKind}`, () => {
  it('boots, migrates, seeds the demo cell and answers /healthz', async () => {
    const app = await startApp()
    apps.push(app)
    const response = await fetch(`${app.url}/healthz`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/application\/json/)
    expect(await response.json()).toEqual({ status: 'ok', database: testDatabaseKind })

    const home = await (await fetch(app.url)).text()
    expect(home).toContain('Cellule de prévention de la maltraitance des adultes — Sevran')
  })

  it('writes JSON request logs with a request id', async () => {
    const app = apps[0] as RunningApp
    const response = await fetch(`${app.url}/healthz?token=secret-query-value`)
    const requestId = response.headers.get('x-request-id')
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
    await new Promise(resolve => setTimeout(resolve, 100))
    const line = app
      .output()
      .split('\n')
      .find(text => text.includes(requestId as string))
    expect(line).toBeDefined()
    const entry = JSON.parse(line as string)
    expect(entry).toMatchObject({ req: { id: requestId, method: 'GET', path: '/healthz' }, res: { statusCode: 200 } })
    expect(app.output()).not.toContain('secret-query-value')
  })

  it('runs in production when NODE_ENV is not exported, and answers an undecodable URL with the French page, no stack', async () => {
    const app = await startApp({ env: { NODE_ENV: undefined } })
    apps.push(app)
    for (const target of ['/cellules/%ff', '/%c0%af', '/invitation/%ff']) {
      const response = await fetch(`${app.url}${target}`)
      expect(response.status).toBe(400)
      const body = await response.text()
      expect(body).toContain('Adresse illisible')
      expect(body).not.toMatch(/\n\s+at |node_modules|\/work\/|URIError/)
    }
    const listening = app
      .output()
      .split('\n')
      .find(text => text.includes('"msg":"listening"'))
    expect(JSON.parse(listening as string)).toMatchObject({ nodeEnv: 'production', expressEnv: 'production' })
    await app.dispose()
  })

  it('stops cleanly on SIGTERM and keeps its data across a restart', async () => {
    const app = apps[0] as RunningApp
    expect(await app.stop()).toBe(0)
    expect(app.output()).toContain('stopped cleanly')
    // No seeding on restart: the demo cell can only come from the data written before the stop.
    const env = { SEED_DEMO: 'false', ...(app.databaseUrl ? { DATABASE_URL: app.databaseUrl } : {}) }
    const again = await startApp({ dataDir: app.dataDir, env })
    apps.push(again)
    const home = await (await fetch(again.url)).text()
    expect(home).toContain('Cellule de prévention de la maltraitance des adultes — Sevran')
  })
})

describe.skipIf(serverUrl !== undefined)('the embedded database lock', () => {
  it('refuses a second process on the same data directory with a clear message', async () => {
    const first = await startApp()
    apps.push(first)
    const second = runServerProcess({ env: { DATA_DIR: first.dataDir } })
    const result = await second.exited
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/déjà ouverte par le processus \d+.*already open in process/)
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
  })
})

describe.skipIf(!process.env.DATABASE_URL)('production setup on a server: the app logs in as a role that is only a member of cellule_app (skipped on PGlite)', () => {
  it('starts with MIGRATE_ON_START=false after the owner migrated, serves, and cannot take the owner role back', async () => {
    const first = await startApp()
    const login = `cellule_web_${Math.random().toString(36).slice(2, 10)}`
    const owner = new pg.Client({ connectionString: first.databaseUrl })
    await owner.connect()
    try {
      await first.stop()
      await owner.query(`create role ${login} login in role cellule_app noinherit`)
      const url = new URL(first.databaseUrl!)
      url.username = login
      const web = await startApp({ dataDir: first.dataDir, env: { DATABASE_URL: url.toString(), MIGRATE_ON_START: 'false', SEED_DEMO: 'false' } })
      try {
        const health = await fetch(`${web.url}/healthz`)
        expect(await health.json()).toEqual({ status: 'ok', database: 'postgres' })
        const client = new pg.Client({ connectionString: url.toString(), options: '-c role=cellule_app' })
        await client.connect()
        try {
          await expect(client.query('set role postgres')).rejects.toThrow(/permission denied/)
          await expect(client.query('update audit_queue set action = action')).rejects.toThrow(/permission denied/)
        } finally {
          await client.end()
        }
      } finally {
        await web.stop()
      }
    } finally {
      await owner.query(`drop owned by ${login}`).catch(() => {})
      await owner.query(`drop role if exists ${login}`)
      await owner.end()
      await first.dispose()
    }
  })
})

describe('bad configuration', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cellule-config-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ DATABASE_URL: 'pas-une-url' }, 'DATABASE_URL'],
    // A production server must be given the journal's signing key (it is never generated there).
    [{ DATABASE_URL: 'postgres://127.0.0.1:1/cellule' }, 'AUDIT_SIGNING_KEY_FILE'],
    [{ AUDIT_RETENTION_MONTHS: '3' }, 'AUDIT_RETENTION_MONTHS'],
    [{ DATABASE_APP_ROLE: 'Robert; drop table' }, 'DATABASE_APP_ROLE'],
  ])('refuses to start with %o: one line, exit code 1', async (env, variable) => {
    const result = await runServerProcess({ env: { DATA_DIR: dataDir, ...env } }).exited
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain(`invalid configuration: ${variable}`)
    expect(result.stdout).not.toContain('Cellule est prête')
  })
})

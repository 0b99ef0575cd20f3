import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { type Database } from '#db/database.ts'
import { insertCell } from '#db/cells.ts'
import { cells, charterSignatures } from '#db/schema.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { parseConfig, publicOriginProblem } from '#server/config.ts'
import { frenchErrorMap } from '#app/utils/zod.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { getPage, postForm, postJson, resetThrottles, send } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 11 (hardening before the public saisine): each case here failed on the code before it.
 * Bodies are capped while streaming, undecodable URLs and cookies are 4xx in French without a
 * stack, integers are bounded, control characters refused, legacy `?_data=` refused, zod never
 * answers in English, and the public account steps do the same work for known and unknown addresses.
 */

let app: InProcessApp
let admin: AccountFixture
let coordinator: AccountFixture
let member: AccountFixture
let cellId = ''
const db = () => app.database.handle.db
const cookieOf = (account: AccountFixture) => `cellule_session=${account.sessionToken}`

const STACK = /\n\s+at |node_modules|\/work\/|file:\/\/|[A-Za-z]+Error:/

/** Error-level lines (pino level ≥ 50) the server wrote since `from`. */
function errorLines(from: number): string[] {
  return app
    .logs()
    .slice(from)
    .split('\n')
    .filter(line => line.trim() !== '')
    .filter(line => (JSON.parse(line) as { level: number }).level >= 50)
}

beforeAll(async () => {
  app = await startInProcessApp()
  await initCrypto()
  const make = (email: string, displayName: string, profession: string, platformRole: 'none' | 'platform_admin' = 'none') =>
    createAccountFixture(app.runtime, { email, password: `mot-de-passe-${randomUUID()}`, displayName, profession, platformRole })
  ;[admin, coordinator, member] = await Promise.all([
    make('admin.durcissement@plateforme.fr', 'Ada Admin', 'autre', 'platform_admin'),
    make('coordination.durcissement@ville.fr', 'Dr Côme Coordination', 'medecin'),
    make('membre.durcissement@departement.fr', 'Maëlle Membre', 'assistant_service_social'),
  ])
  const cell = await insertCell(db(), {
    slug: `durcissement-${randomUUID().slice(0, 8)}`,
    name: 'Cellule de durcissement',
    communes: ['Sevran'],
    hostInstitution: 'Ville de Sevran',
    dpoContact: 'dpo@sevran.fr',
    createdBy: null,
    charter: DEFAULT_CHARTER,
    charterHash: await charterHash(DEFAULT_CHARTER),
  })
  cellId = cell.id
  expect(
    await foundDemoCell({
      db: db(),
      cellId,
      members: [
        { ...coordinator.keys, role: 'coordinator' },
        { ...member.keys, role: 'member' },
      ],
    }),
  ).toBe(true)
})
afterAll(async () => {
  await app?.close()
})

/**
 * Streams `totalBytes` of JSON-ish bytes with Transfer-Encoding: chunked (no Content-Length), with
 * back-pressure, until the server answers. Returns the status and how many bytes were written.
 */
function sendChunked(path: string, totalBytes: number): Promise<{ status: number; body: string; sentBytes: number }> {
  const url = new URL(path, app.url)
  const chunk = Buffer.alloc(1024 * 1024, 'a')
  return new Promise((resolve, reject) => {
    let sentBytes = 0
    let answered = false
    const request = http.request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } },
      response => {
        answered = true
        let body = ''
        response.on('data', part => (body += String(part)))
        response.on('end', () => {
          request.destroy()
          resolve({ status: response.statusCode ?? 0, body, sentBytes })
        })
      },
    )
    request.on('error', error => {
      if (!answered) reject(error)
    })
    const pump = () => {
      while (!answered && sentBytes < totalBytes) {
        sentBytes += chunk.length
        if (!request.write(chunk)) {
          request.once('drain', pump)
          return
        }
      }
      if (!answered) request.end()
    }
    request.write('{"email":"')
    pump()
  })
}

describe('bodies are capped while streaming (item 2)', () => {
  it('a 200 MB chunked body to the anonymous login gets a French 413 after reading about 64 KiB: the sender is held back and the process does not grow', async () => {
    await resetThrottles(app)
    const before = process.memoryUsage().rss
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
    const result = await sendChunked('/api/auth/login', 200 * 1024 * 1024)
    clearInterval(sampler)
    expect(result.status).toBe(413)
    expect(result.body).toContain('Requête trop volumineuse.')
    // Before: the whole body was buffered (+500 MB for 200 MB) and the 413 came after the last byte.
    expect(result.sentBytes).toBeLessThan(64 * 1024 * 1024)
    expect(peak - before).toBeLessThan(100 * 1024 * 1024)
  })

  it('a chunked form over the limit gets the French 413 too', async () => {
    const url = new URL('/admin', app.url)
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked', Cookie: cookieOf(admin), Origin: app.url } },
        response => {
          response.resume()
          resolve(response.statusCode ?? 0)
          request.destroy()
        },
      )
      request.on('error', error => reject(error))
      request.write('name=')
      request.write(Buffer.alloc(200 * 1024, 'a'))
      request.end()
    })
    expect(status).toBe(413)
  })
})

describe('undecodable URLs and cookies (items 3 and 4)', () => {
  it.each(['/cellules/%ff', '/%c0%af', '/api/cells/%ff/roster', '/invitation/%ff', '/build/%ff.js'])('GET %s: 400 in French, no stack trace, no error-level log', async path => {
    const from = app.logs().length
    const response = await getPage(app, path)
    expect(response.status).toBe(400)
    expect(response.text).not.toMatch(STACK)
    if (path.startsWith('/api/')) expect(response.json?.error).toMatch(/^Adresse illisible/)
    else expect(response.text).toContain('<html lang="fr">')
    expect(response.text).toContain('Adresse illisible')
    expect(errorLines(from)).toEqual([])
  })

  it.each(['/', '/connexion', '/cellules', '/compte'])('a malformed session cookie on GET %s counts as no session: no 5xx, no error-level log', async path => {
    const from = app.logs().length
    const response = await getPage(app, path, { cookie: 'cellule_session=%E0%A4%A' })
    expect(response.status).toBeLessThan(500)
    expect(response.text).not.toMatch(STACK)
    expect(errorLines(from)).toEqual([])
  })

  it('a malformed session cookie on an API: answered as signed out', async () => {
    const response = await postJson(app, '/api/session', {}, { cookie: 'cellule_session=%E0%A4%A' })
    expect(response.status).toBe(200)
    expect(response.json?.active).toBe(false)
  })
})

describe('other malformed input (item 5)', () => {
  it('signing the charter with version 2⁵³ is a French 422, nothing stored', async () => {
    const [before] = await db().select({ total: count() }).from(charterSignatures)
    const from = app.logs().length
    const response = await postJson(
      app,
      `/api/cells/${cellId}/charter/sign`,
      { version: 2 ** 53, hash: '0'.repeat(64), signature: toBase64Url(new Uint8Array(64)) },
      { cookie: cookieOf(member) },
    )
    expect(response.status).toBe(422)
    expect(String(response.json?.error)).toContain('Numéro de version de la charte invalide.')
    expect(errorLines(from)).toEqual([])
    const [after] = await db().select({ total: count() }).from(charterSignatures)
    expect(after?.total).toBe(before?.total)
  })

  it.each(['/admin', '/admin.data'])('a NUL byte in the admin cell form (%s) is refused in French, no cell created', async path => {
    const name = `Cellule\u0000nulle ${randomUUID().slice(0, 6)}`
    const from = app.logs().length
    const response = await postForm(
      app,
      path,
      { name, communes: 'Sevran', hostInstitution: 'Ville de Sevran', dpoContact: 'dpo@sevran.fr', coordinatorEmail: 'nouvelle.coordination@sevran.fr' },
      { cookie: cookieOf(admin) },
    )
    expect(response.status).toBeLessThan(500)
    expect(response.text).toContain('caractères non imprimables')
    expect(errorLines(from)).toEqual([])
    expect(await db().select().from(cells).where(eq(cells.hostInstitution, 'Ville de Sevran'))).toHaveLength(1)
  })

  it('a legacy ?_data= request is a French 400, not a 5xx nor an error-level log line', async () => {
    const from = app.logs().length
    for (const path of [`/rejoindre/${randomUUID()}?_data=routes%2Frejoindre.%24invitationId`, '/?_data=root', `/cellules/${cellId}?_data=routes%2Fcellules.%24cellId._index`]) {
      const response = await getPage(app, path, { cookie: cookieOf(member) })
      expect(response.status).toBe(400)
      expect(response.json?.error).toMatch(/« _data » n’est plus pris en charge/)
    }
    expect(errorLines(from)).toEqual([])
  })
})

describe('French validation messages everywhere (item 6)', () => {
  it.each([
    ['null body', null],
    ['array body', []],
    ['missing fields', {}],
    ['wrong types', { email: 42, authSecret: null }],
    ['too long', { email: `${'a'.repeat(300)}@exemple.fr`, authSecret: 'x' }],
  ])('POST /api/auth/login with %s answers in French', async (_label, body) => {
    await resetThrottles(app)
    const response = await postJson(app, '/api/auth/login', body)
    expect(response.status).toBe(422)
    const messages = [String(response.json?.error), ...Object.values((response.json?.fieldErrors ?? {}) as Record<string, string[]>).flat()]
    for (const message of messages) expect(message).not.toMatch(/Expected|Required|received|Invalid|String must|must contain|at most|at least/)
  })

  it('the error map has a French message for every issue zod can raise', () => {
    const schemas: [z.ZodTypeAny, unknown][] = [
      [z.string(), undefined],
      [z.string(), 3],
      [z.literal('a'), 'b'],
      [z.object({}).strict(), { extra: 1 }],
      [z.union([z.string(), z.number()]), true],
      [z.discriminatedUnion('kind', [z.object({ kind: z.literal('a') })]), { kind: 'b' }],
      [z.enum(['a', 'b']), 'c'],
      [z.date(), new Date('x')],
      [z.string().email(), 'x'],
      [z.string().uuid(), 'x'],
      [z.string().url(), 'x'],
      [z.string().regex(/^a$/), 'b'],
      [z.string().startsWith('a'), 'b'],
      [z.string().min(2), 'a'],
      [z.string().max(1), 'ab'],
      [z.string().length(2), 'a'],
      [z.array(z.string()).min(1), []],
      [z.number().int(), 1.5],
      [z.number().max(1), 2],
      [z.number().multipleOf(2), 3],
      [z.number().finite(), Infinity],
      [z.intersection(z.object({ a: z.string() }), z.object({ a: z.number() })), { a: 'x' }],
      [z.number().refine(() => false), 1],
    ]
    for (const [schema, value] of schemas) {
      const result = schema.safeParse(value)
      expect(result.success).toBe(false)
      for (const issue of result.error?.issues ?? []) {
        expect(issue.message).not.toMatch(/Expected|Required|received|Invalid|String must|must contain|Number must|Unrecognized|should/)
        expect(issue.message).toMatch(/[A-ZÉ][a-zéèêàçûôî’ ]+/)
      }
    }
    expect(frenchErrorMap({ code: 'custom', path: [], message: undefined } as never, { defaultError: 'Invalid input', data: 1 }).message).toBe('Valeur invalide.')
  })
})

/** Counts the queries a route starts, by kind, through the runtime's database. */
function countingDatabase(real: Database): { db: Database; calls: string[] } {
  const calls: string[] = []
  const db = new Proxy(real, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function' || !['select', 'insert', 'update', 'delete', 'execute', 'transaction'].includes(String(property))) return value
      return (...args: unknown[]) => {
        calls.push(String(property))
        return (value as (...parameters: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { db, calls }
}

describe('public account steps do the same work for known and unknown addresses (item 7)', () => {
  it.each(['/api/auth/recovery-parameters', '/api/auth/pre-login'])('%s starts the same queries for an account and for an unknown address', async path => {
    const handle = app.database.handle
    const observed: Record<string, string[]> = {}
    try {
      for (const email of [member.email, 'personne.inconnue@exemple.fr']) {
        const counting = countingDatabase(handle.db)
        app.runtime.db = { ...handle, db: counting.db }
        await resetThrottles(app)
        const response = await postJson(app, path, { email })
        expect(response.status).toBe(200)
        observed[email] = counting.calls
      }
    } finally {
      app.runtime.db = handle
    }
    expect(observed[member.email]?.length).toBeGreaterThan(1)
    expect(observed['personne.inconnue@exemple.fr']).toEqual(observed[member.email])
  })
})

describe('public origin and cookie prefix (item 7)', () => {
  it('a production server on PostgreSQL refuses to start without PUBLIC_ORIGIN; the embedded database and tools do not need it', () => {
    expect(publicOriginProblem(parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@h/db' }))).toMatch(/PUBLIC_ORIGIN: obligatoire en production/)
    expect(publicOriginProblem(parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@h/db', PUBLIC_ORIGIN: 'https://cellule.example.fr' }))).toBeNull()
    expect(publicOriginProblem(parseConfig({ NODE_ENV: 'production' }))).toBeNull()
    expect(publicOriginProblem(parseConfig({ NODE_ENV: 'development', DATABASE_URL: 'postgres://u@h/db' }))).toBeNull()
  })

  it('over https the session cookie is __Host-cellule_session with Secure, Path=/ and no Domain', async () => {
    const previous = process.env.PUBLIC_ORIGIN
    process.env.PUBLIC_ORIGIN = 'https://cellule.example.fr'
    const secureApp = await startInProcessApp()
    try {
      const person = await createAccountFixture(secureApp.runtime, { email: 'https.durcissement@ville.fr', password: `mot-de-passe-${randomUUID()}`, displayName: 'Hélène Https', profession: 'medecin' })
      const session = `__Host-cellule_session=${person.sessionToken}`
      // The prefixed name is the one read back…
      const signedIn = await postJson(secureApp, '/api/session', {}, { cookie: session })
      expect(signedIn.json?.active).toBe(true)
      // …and the one written (here, the blank cookie of a logout).
      const logout = await send(secureApp, '/deconnexion', { body: '', cookie: session, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
      const written = logout.headers.getSetCookie().find(line => line.includes('cellule_session='))
      expect(written).toMatch(/^__Host-cellule_session=/)
      expect(written).toMatch(/; Secure/i)
      expect(written).toMatch(/; Path=\//i)
      expect(written).not.toMatch(/Domain=/i)
    } finally {
      await secureApp.close()
      if (previous === undefined) delete process.env.PUBLIC_ORIGIN
      else process.env.PUBLIC_ORIGIN = previous
    }
  })
})

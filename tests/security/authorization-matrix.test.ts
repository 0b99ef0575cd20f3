import { readdirSync } from 'node:fs'
import path from 'node:path'
import { type ServerBuild } from '@remix-run/node'
import { matchRoutes } from '@remix-run/react'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { insertCellInvitation, insertCharterSignature, insertCharterVersion, markInvitation, markMembershipRemoved } from '#db/cells.ts'
import { createInvitation, INVITATION_LIFETIME_MS } from '#db/invitations.ts'
import { createUserSession, SESSION_COOKIE } from '#app/auth/session.server.ts'
import { createCellWithFounder } from '#app/cells/cells.server.ts'
import { signCharter } from '#app/cells/cell-client.ts'
import { foundDemoCell, type DemoKeys } from '#server/demo/founding.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { resetThrottles } from '#tests/support/account-fixtures.ts'
import { projectRoot } from '#tests/support/app-process.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import { ACTORS, MATRIX, routePatternOf, rowName, type Actor, type MatrixFixtures, type MatrixRow, type Outcome } from './authorization-matrix.ts'

const PASSWORD = 'Matrice-Autorisations-2026!'

let app: InProcessApp
let fixtures: MatrixFixtures
/** The signed-in account of each actor state (none for anonymous). */
const accounts = new Map<Actor, AccountFixture>()
let casesRun = 0
let build: ServerBuild

function routeFilesOnDisk(): string[] {
  return readdirSync(path.join(projectRoot, 'app', 'routes'), { withFileTypes: true })
    .filter(entry => !entry.name.startsWith('.') && !/\.test\./.test(entry.name))
    .map(entry => (entry.isDirectory() ? entry.name : entry.name.replace(/\.(tsx|ts|jsx|js)$/, '')))
    .sort()
}

async function loadBuild(): Promise<ServerBuild> {
  return (await import(path.join(projectRoot, 'build', 'index.js'))) as ServerBuild
}

async function setUpFixtures(): Promise<MatrixFixtures> {
  const db = app.database.handle.db
  const account = (key: string, profession: string, platformRole: 'none' | 'platform_admin' = 'none') =>
    createAccountFixture(app.runtime, { email: `${key}@matrice.exemple.fr`, password: PASSWORD, displayName: `Matrice ${key}`, profession, platformRole })

  const admin = await account('admin', 'autre', 'platform_admin')
  const nonMember = await account('non-membre', 'medecin')
  const unsigned = await account('non-signataire', 'infirmier')
  const signed = await account('membre', 'assistant_service_social')
  const associate = await account('associe', 'autre')
  const coordinator = await account('coordination', 'medecin')
  const dpo = await account('dpo', 'autre')
  const removed = await account('retire', 'psychologue')
  const other = await account('autre-cellule', 'medecin')
  for (const [actor, fixture] of [
    ['platformAdmin', admin],
    ['nonMember', nonMember],
    ['unsignedMember', unsigned],
    ['signedMember', signed],
    ['associate', associate],
    ['coordinator', coordinator],
    ['dpo', dpo],
    ['removedMember', removed],
    ['otherCellMember', other],
  ] as const) {
    accounts.set(actor, fixture)
  }

  const cellValues = (name: string, coordinatorEmail: string) => ({
    name,
    communes: ['Sevran'],
    hostInstitution: 'Ville de Sevran',
    dpoContact: 'dpo@matrice.exemple.fr',
    coordinatorEmail,
  })
  const keysOf = (fixture: AccountFixture, role: DemoKeys['role']): DemoKeys => ({ ...fixture.keys, role })

  // Cell A, founded as browsers would; the founding invitation is then used up, as after a real founding.
  const cellA = await createCellWithFounder({ db, values: cellValues('Cellule A de la matrice', coordinator.email), adminId: admin.userId })
  const cellId = cellA.cell.id
  const foundedA = await foundDemoCell({
    db,
    cellId,
    members: [keysOf(coordinator, 'coordinator'), keysOf(unsigned, 'member'), keysOf(signed, 'member'), keysOf(associate, 'associate'), keysOf(dpo, 'dpo'), keysOf(removed, 'member')],
  })
  expect(foundedA).toBe(true)
  await markInvitation(db, { invitationId: cellA.invitation.id, status: 'confirmed' })

  // Charter version 2 becomes current; everyone re-signs it except the unsigned member (and the removed one).
  const version2 = { ...DEFAULT_CHARTER, version: 2 }
  const hash2 = await charterHash(version2)
  await insertCharterVersion(db, { cellId, version: 2, content: version2, hash: hash2, publishedBy: coordinator.userId })
  for (const signer of [coordinator, signed, associate, dpo]) {
    await insertCharterSignature(db, { cellId, userId: signer.userId, version: 2, hash: hash2, signature: signCharter({ cellId, version: 2, hash: hash2, keys: signer.keys }) })
  }
  await markMembershipRemoved(db, { cellId, userId: removed.userId })

  // Cell B, founded and coordinated by the other-cell member: the strongest outsider for cell A.
  const cellB = await createCellWithFounder({ db, values: cellValues('Cellule B de la matrice', other.email), adminId: admin.userId })
  expect(await foundDemoCell({ db, cellId: cellB.cell.id, members: [keysOf(other, 'coordinator')] })).toBe(true)
  await markInvitation(db, { invitationId: cellB.invitation.id, status: 'confirmed' })

  // A cell not founded yet, whose founding invitation goes to the non-member.
  const unfounded = await createCellWithFounder({ db, values: cellValues('Cellule à fonder de la matrice', nonMember.email), adminId: admin.userId })

  // A pending invitation of cell A addressed to the non-member; an account invitation for someone new.
  const memberInvitation = await insertCellInvitation(db, {
    cellId,
    kind: 'member',
    email: nonMember.email,
    role: 'member',
    createdBy: coordinator.userId,
    expiresAt: new Date(Date.now() + INVITATION_LIFETIME_MS),
  })
  const registration = await createInvitation(db, { email: 'nouvelle.personne@matrice.exemple.fr', purpose: 'registration', createdBy: admin.userId })

  return {
    cellId,
    otherCellId: cellB.cell.id,
    unfoundedCellId: unfounded.cell.id,
    unfoundedFoundingInvitationId: unfounded.invitation.id,
    unknownCellId: '00000000-0000-4000-8000-000000000000',
    memberInvitationId: memberInvitation.id,
    unknownInvitationId: '00000000-0000-4000-8000-000000000001',
    registrationToken: registration.token,
    signedMemberId: signed.userId,
  }
}

async function cookieFor({ actor, fresh }: { actor: Actor; fresh: boolean }): Promise<string | null> {
  const fixture = accounts.get(actor)
  if (!fixture) return null
  const token = fresh ? (await createUserSession(app.database.handle.db, { userId: fixture.userId, mfaVerified: true, userAgent: 'matrice' })).token : fixture.sessionToken
  return `${SESSION_COOKIE}=${token}`
}

type Observed = { outcome: Outcome | `unexpected ${number}` | `mixed: ${string}`; status: number; location: string | null }

/** The outcome class of a status and redirect target (see `Outcome` in authorization-matrix.ts). */
function classify({ status, location }: { status: number; location: string | null }): Observed {
  const observed = (outcome: Observed['outcome']): Observed => ({ outcome, status, location })
  if (location !== null) {
    const target = new URL(location, app.url)
    const toLogin = target.pathname === '/connexion' && (target.searchParams.has('redirectTo') || target.searchParams.get('etape') === 'totp')
    return observed(toLogin || target.pathname === '/compte/double-authentification' ? 'deny' : 'allow')
  }
  if (status === 405) return observed('method')
  if (status === 404) return observed('notfound')
  if (status === 401 || status === 403) return observed('deny')
  if (status >= 200 && status < 300) return observed('allow')
  // Input refused after the guard: only these count; 413, 415, 429 or a 5xx mean the case is broken.
  if ([400, 409, 410, 422].includes(status)) return observed('allow')
  return observed(`unexpected ${status}`)
}

/**
 * A single-fetch answer (`.data`) encodes a redirect in its turbo-stream body with status 202:
 * `[{"_1":2,…},"redirect","/connexion?…",…]`.
 */
function singleFetchRedirect(text: string): string | null {
  try {
    const values = JSON.parse(text.split('\n')[0] ?? '') as unknown[]
    const head = values[0] as Record<string, number>
    for (const [key, index] of Object.entries(head)) {
      if (values[Number(key.slice(1))] === 'redirect') return String(values[index])
    }
  } catch {
    return null
  }
  return null
}

async function send({ row, actor, url }: { row: MatrixRow; actor: Actor; url: string }): Promise<Observed> {
  await resetThrottles(app)
  const cookie = await cookieFor({ actor, fresh: row.freshSession === true })
  const headers: Record<string, string> = cookie ? { Cookie: cookie } : {}
  let body: string | undefined
  if (row.method === 'POST') {
    headers.Origin = app.url
    const requestBody = row.body?.(fixtures) ?? { form: {} }
    if ('json' in requestBody) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(requestBody.json)
    } else {
      headers['Content-Type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(requestBody.form).toString()
    }
  }
  const response = await fetch(`${app.url}${url}`, { method: row.method, headers, body, redirect: 'manual' })
  const text = await response.text()
  const location = response.status === 202 && url.includes('.data') ? singleFetchRedirect(text) : response.headers.get('location')
  return classify({ status: response.status, location })
}

/**
 * One case: the request as a browser without JavaScript sends it; for a form posted to a page, also
 * as Remix's <Form> sends it (`.data`, the action alone, so a loader refusing after the action cannot
 * hide an action that let the request through). Both must give the same outcome.
 */
async function runCase({ row, actor }: { row: MatrixRow; actor: Actor }): Promise<Observed> {
  const url = row.path(fixtures)
  const observed = [await send({ row, actor, url })]
  if (row.method === 'POST' && build.routes[`routes/${row.route}`]?.module.default) {
    const parsed = new URL(url, app.url)
    observed.push(await send({ row, actor, url: `${parsed.pathname}.data${parsed.search}` }))
  }
  casesRun += 1
  const [first] = observed as [Observed, ...Observed[]]
  if (observed.every(entry => entry.outcome === first.outcome)) return first
  return { ...first, outcome: `mixed: ${observed.map(entry => `${entry.outcome} (HTTP ${entry.status})`).join(' / ')}` }
}

beforeAll(async () => {
  app = await startInProcessApp()
  build = await loadBuild()
  fixtures = await setUpFixtures()
})

afterAll(async () => {
  await app?.close()
})

describe('authorization matrix: the table covers every route', () => {
  it('has rows for every route file in app/routes/, and for no other', () => {
    const onDisk = routeFilesOnDisk()
    const inTable = [...new Set(MATRIX.map(row => row.route))].sort()
    expect(onDisk.filter(route => !inTable.includes(route)), 'route files without rows').toEqual([])
    expect(inTable.filter(route => !onDisk.includes(route)), 'rows for routes that do not exist').toEqual([])
  })

  it('has a GET row for every loader or page and a POST row for every action (from the built app)', async () => {
    const problems: string[] = []
    for (const route of routeFilesOnDisk()) {
      const module = build.routes[`routes/${route}`]?.module
      if (!module) {
        problems.push(`${route}: not in the build (run npx remix build)`)
        continue
      }
      const rows = MATRIX.filter(row => row.route === route)
      const servesGet = Boolean(module.loader ?? module.default)
      if (servesGet && !rows.some(row => row.method === 'GET')) problems.push(`${route}: GET (loader or page) without a row`)
      if (!servesGet && rows.some(row => row.method === 'GET')) problems.push(`${route}: GET row but no loader or page`)
      if (module.action && !rows.some(row => row.method === 'POST')) problems.push(`${route}: action without a POST row`)
      if (!module.action && rows.some(row => row.method === 'POST')) problems.push(`${route}: POST row but no action`)
    }
    expect(problems).toEqual([])
  })

  it('sends each row to its own route (Remix matching on the built route tree)', () => {
    type Node = { id: string; path?: string; index?: boolean; caseSensitive?: boolean; children?: Node[] }
    const tree = (parentId: string | undefined): Node[] =>
      Object.values(build.routes)
        .filter(route => route.parentId === parentId)
        .map(route => ({ id: route.id, path: route.path, index: route.index, caseSensitive: route.caseSensitive, ...(route.index ? {} : { children: tree(route.id) }) }))
    const routes = tree(undefined)
    const misrouted = MATRIX.flatMap(row => {
      const url = new URL(row.path(fixtures), app.url)
      const matches = matchRoutes(routes as never, url.pathname) as { route: Node }[] | null
      const leaf = matches?.at(-1)?.route.id
      const indexTarget = url.searchParams.has('index') === row.route.endsWith('_index') || row.method === 'GET'
      return leaf === `routes/${row.route}` && indexTarget ? [] : [`${rowName(row)} → ${url.pathname}${url.search} reaches ${leaf ?? 'nothing'}`]
    })
    expect(misrouted).toEqual([])
  })

  it('derives URL patterns from flat route names', () => {
    expect(routePatternOf('_index')).toBe('/')
    expect(routePatternOf('$')).toBe('/*')
    expect(routePatternOf('cellules.$cellId._index')).toBe('/cellules/:cellId')
    expect(routePatternOf('api.cells.$cellId.invitations.$invitationId.confirm')).toBe('/api/cells/:cellId/invitations/:invitationId/confirm')
  })
})

describe('authorization matrix: every cell against the running app', () => {
  for (const row of MATRIX) {
    it(rowName(row), async () => {
      const observed = {} as Record<Actor, Observed>
      for (const actor of ACTORS) observed[actor] = await runCase({ row, actor })
      const outcomes = Object.fromEntries(ACTORS.map(actor => [actor, observed[actor].outcome]))
      const details = ACTORS.filter(actor => observed[actor].outcome !== row.expect[actor])
        .map(actor => `${actor}: expected ${row.expect[actor]}, got ${observed[actor].outcome} (HTTP ${observed[actor].status}${observed[actor].location ? ` → ${observed[actor].location}` : ''})`)
        .join('; ')
      expect(outcomes, `${rowName(row)} — ${row.rule} — ${details}`).toEqual(row.expect)
    })
  }

  it('ran every case of the table', () => {
    const routes = new Set(MATRIX.map(row => row.route)).size
    const expected = MATRIX.length * ACTORS.length
    process.stdout.write(`Authorization matrix: ${routes} routes, ${MATRIX.length} rows, ${ACTORS.length} actor states, ${casesRun} cases run (${expected} in the table).\n`)
    expect(routes).toBe(routeFilesOnDisk().length)
    expect(casesRun).toBe(expected)
  })
})

describe('authorization matrix: what an allowed roster reader receives', () => {
  it('gives cell-key blobs to signed key holders only, each their own: none to the DPO or before signing', async () => {
    const received: Record<string, string[]> = {}
    for (const actor of ['unsignedMember', 'signedMember', 'associate', 'coordinator', 'dpo'] as const) {
      const fixture = accounts.get(actor)
      if (!fixture) throw new Error(`no account for ${actor}`)
      const response = await fetch(`${app.url}/api/cells/${fixtures.cellId}/roster`, { headers: { Cookie: `${SESSION_COOKIE}=${fixture.sessionToken}` } })
      expect(response.status).toBe(200)
      const roster = (await response.json()) as { links: string[]; blobs: { kind: string; slot: string }[] }
      expect(roster.links.length).toBeGreaterThan(0)
      received[actor] = roster.blobs.filter(blob => blob.kind === 'cell_epoch_key').map(blob => (blob.slot === fixture.userId ? 'own' : 'someone else'))
    }
    expect(received).toEqual({ unsignedMember: [], signedMember: ['own'], associate: ['own'], coordinator: ['own'], dpo: [] })
  })
})

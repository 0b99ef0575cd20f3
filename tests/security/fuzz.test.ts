import { readdirSync } from 'node:fs'
import path from 'node:path'
import { type ServerBuild } from '@remix-run/node'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type z } from 'zod'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { DEFAULT_RULES } from '#app/journal/anomalies/rules.ts'
import {
  invitationLookupSchema,
  loginRequestSchema,
  passwordChangeRequestSchema,
  preLoginRequestSchema,
  recoveryRequestSchema,
  registrationRequestSchema,
  totpCodeSchema,
  totpRequestSchema,
} from '#app/auth/schemas.ts'
import {
  answerInvitationSchema,
  attestSchema,
  cancelInvitationSchema,
  confirmInvitationSchema,
  createCellSchema,
  createInvitationSchema,
  foundCellSchema,
  publishCharterSchema,
  rotationSchema,
  setRoleSchema,
  signCharterSchema,
  storeRosterPinsSchema,
} from '#app/cells/schemas.ts'
import { projectRoot } from '#tests/support/app-process.ts'
import { createFuzzWorld, type FuzzActor, type FuzzFixtures, type FuzzWorld } from '#tests/support/fuzz-fixtures.ts'
import {
  contentTypeForJson,
  cookieMode,
  exoticMethod,
  extraHeaders,
  formEncoding,
  formFields,
  hostileSegment,
  jsonBody,
  nastyString,
  nearString,
  percentEncode,
  type CookieMode,
  type FormEncoding,
  type FormFields,
  type JsonBody,
} from '#tests/support/fuzz-inputs.ts'
import { resetThrottles } from '#tests/support/account-fixtures.ts'
import { englishIn, stackIn, violationsOf, visibleText, type Observed, type Violation } from '#tests/support/fuzz-oracle.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 11: a fuzz test of every form and endpoint. For each route file in app/routes/, GET (page or
 * loader, with hostile query strings and path parameters) and POST (the action's JSON or form body
 * built near the route's zod schema, then broken at one place; for routes without an action, any
 * body) are sent by anonymous, a member and the actor the guard lets through, with broken cookies,
 * `.data` and `?_data=` URLs and a few odd methods. Every answer must have a status below 500, no
 * stack trace or server path, no English a person could read, and leave no error-level log line.
 *
 * Seeds: fixed when CI is set (SEED_IN_CI), random otherwise; FUZZ_SEED=<n> replays one. A failure
 * names the seed, the shrunk request and what was wrong. FUZZ_RUNS=<n> changes the number of runs per
 * property. FUZZ_SURVEY=1 never stops at the first failure: it prints every distinct violation found
 * (for whoever fixes them) and passes.
 */

const SEED_IN_CI = 20261204
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.CI ? SEED_IN_CI : Math.floor(Math.random() * 2 ** 31)
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined
const SURVEY = Boolean(process.env.FUZZ_SURVEY)
/** Requests spent shrinking a failure (each is a real request): enough for a readable example. */
const SHRINK_BUDGET = 80

// ---------------------------------------------------------------------------------------------
// The table: one entry per route file. Adding a route file without an entry fails the first test.
// ---------------------------------------------------------------------------------------------

type Target = {
  /** Route module file name without extension, as in app/routes/. */
  route: string
  /** Who gets past the guard, so the input reaches the route's parsing (sent most often). */
  deep: readonly FuzzActor[]
  /** Valid values of each path parameter (`$name`), near which hostile ones are generated. */
  params?: Record<string, (f: FuzzFixtures) => string[]>
  /** Query parameters the loader reads, with valid values. */
  query?: (f: FuzzFixtures) => Record<string, string[]>
  /** The action's JSON body: templates valid for `schema`. */
  json?: (f: FuzzFixtures) => Record<string, unknown>[]
  /** The action's form: templates of valid fields. */
  form?: (f: FuzzFixtures) => Record<string, string>[]
  /** The zod schema the templates must satisfy (checked below), when the route exports it. */
  schema?: z.ZodTypeAny
  /** The request ends the session: each case gets a fresh one. */
  freshSession?: boolean
}

const SECRET = 'A'.repeat(42) + 'A'
const BLOB = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const HEX_64 = 'f'.repeat(64)
const SIGNATURE_86 = 'A'.repeat(86)
const ROTATION = (f: FuzzFixtures) => ({
  links: [BLOB],
  epoch: 1,
  intakeIndex: 1,
  sealed: [
    { kind: 'cell_epoch_key', epoch: 1, slot: f.coordinatorId, blob: BLOB },
    { kind: 'index_key', epoch: 1, slot: f.coordinatorId, blob: BLOB },
    { kind: 'intake_seed', epoch: 1, slot: f.coordinatorId, blob: BLOB },
  ],
  previousEpoch: BLOB,
  previousIndexKey: BLOB,
})
const RULE_IDS = DEFAULT_RULES.map(rule => rule.id)
const cellIds = (f: FuzzFixtures) => [f.cellId, f.unknownId, f.unfoundedCellId]

const TARGETS: readonly Target[] = [
  { route: '_index', deep: [] },
  // The catch-all answers every method with a 404, so its action gets a form like any page.
  { route: '$', deep: [], form: () => [{ champ: 'valeur' }] },
  { route: 'accessibilite', deep: [] },
  { route: 'mentions-legales', deep: [] },
  { route: 'healthz', deep: [] },
  {
    route: 'connexion',
    deep: ['passwordOnly'],
    query: f => ({ redirectTo: ['/compte', `/cellules/${f.cellId}`, '//autre-site.exemple', 'https://autre-site.exemple', '/\\autre-site.exemple'], etape: ['totp'], motif: ['deconnecte', 'mot-de-passe-modifie', 'compte-recupere'] }),
  },
  { route: 'deconnexion', deep: ['member'], form: () => [{}], freshSession: true },
  { route: 'mot-de-passe-oublie', deep: [] },
  { route: 'invitation._index', deep: [] },
  { route: 'invitation.$token', deep: [], params: { token: f => [f.registrationToken, 'a'.repeat(43)] }, query: () => ({ suite: ['/rejoindre/00000000-0000-4000-8000-000000000000', '//autre-site.exemple'] }) },

  // Authentication API
  { route: 'api.auth.invitation', deep: ['anonymous'], json: f => [{ token: f.registrationToken }], schema: invitationLookupSchema },
  { route: 'api.auth.pre-login', deep: ['anonymous'], json: f => [{ email: f.memberEmail }], schema: preLoginRequestSchema },
  { route: 'api.auth.recovery-parameters', deep: ['anonymous'], json: f => [{ email: f.memberEmail }], schema: preLoginRequestSchema },
  { route: 'api.auth.login', deep: ['anonymous'], json: f => [{ email: f.memberEmail, authSecret: SECRET }], schema: loginRequestSchema },
  { route: 'api.auth.totp', deep: ['passwordOnly'], json: () => [{ code: '123456' }], schema: totpRequestSchema },
  { route: 'api.auth.password', deep: ['member'], json: () => [{ currentAuthSecret: SECRET, newAuthSecret: SECRET, newWrappedAccountKey: BLOB }], schema: passwordChangeRequestSchema },
  { route: 'api.auth.recover', deep: ['anonymous'], json: f => [{ email: f.memberEmail, recoveryAuthSecret: SECRET, newAuthSecret: SECRET, newWrappedAccountKey: BLOB, newRecoveryAuthSecret: SECRET, newRecoveryWrappedAccountKey: BLOB }], schema: recoveryRequestSchema },
  {
    route: 'api.auth.register',
    deep: ['anonymous'],
    json: f => [
      {
        token: f.registrationToken,
        displayName: 'Sacha Saisie',
        profession: 'medecin',
        rppsNumber: '10001234565',
        adeliNumber: '',
        authSecret: SECRET,
        recoveryAuthSecret: SECRET,
        wrappedAccountKey: BLOB,
        recoveryWrappedAccountKey: BLOB,
        identityPublic: BLOB,
        wrappedIdentitySecrets: BLOB,
      },
    ],
    schema: registrationRequestSchema,
  },
  { route: 'api.session', deep: ['member'], json: () => [{}] },
  { route: 'api.account.keys', deep: ['member'] },
  { route: 'api.account.roster-pins', deep: ['member'], json: () => [{ counter: 2, blob: BLOB.repeat(4) }], schema: storeRosterPinsSchema },

  // Account pages
  { route: 'compte._index', deep: ['member'], form: () => [{ intent: 'revoke', sessionId: 'a'.repeat(64) }] },
  { route: 'compte.double-authentification', deep: ['unenrolled'], query: () => ({ suite: ['/cellules', '//autre-site.exemple'] }), form: () => [{ code: '123456', suite: '/cellules' }] },
  { route: 'compte.mot-de-passe', deep: ['member'] },

  // Platform administration
  {
    route: 'admin._index',
    deep: ['admin'],
    form: () => [{ name: 'Cellule de Bondy', communes: 'Bondy, Pantin', hostInstitution: 'Ville de Bondy', dpoContact: 'dpo@bondy.exemple.fr', coordinatorEmail: 'coordination@bondy.exemple.fr' }],
    schema: createCellSchema,
  },

  // Cells: pages
  { route: 'cellules._index', deep: ['member'], form: f => [{ intent: 'notice-dismissed', cellId: f.cellId }] },
  { route: 'cellules.$cellId._index', deep: ['coordinator'], params: { cellId: cellIds }, form: () => [{ intent: 'habilitations-reviewed' }] },
  { route: 'cellules.$cellId.charte', deep: ['member'], params: { cellId: cellIds } },
  { route: 'cellules.$cellId.membres', deep: ['member'], params: { cellId: cellIds } },
  { route: 'cellules.$cellId.registre', deep: ['member'], params: { cellId: cellIds } },
  {
    route: 'cellules.$cellId.journal._index',
    deep: ['dpo'],
    params: { cellId: cellIds },
    query: f => ({
      membre: [f.memberId],
      ressource: ['members', 'charter', `member:${f.memberId}`],
      action: ['auth.login', 'cell.keys.read'],
      resultat: ['success', 'denied'],
      du: ['2026-01-01', '2026-02-30', '0000-01-01', '9999-12-31'],
      au: ['2026-12-31'],
      avant: ['1796400000000_12', '999999999999999_999999999999999', '0_0'],
    }),
    form: () => RULE_IDS.map(rule => ({ intent: 'review', alertId: `${rule}:00000000-0000-4000-8000-000000000000`, status: 'escalated', comment: 'À approfondir.' })),
  },
  { route: 'cellules.$cellId.journal.consultations', deep: ['dpo'], params: { cellId: cellIds }, query: f => ({ ressource: ['members', 'charter', `member:${f.memberId}`] }) },
  { route: 'cellules.$cellId.journal.export', deep: ['dpo'], params: { cellId: cellIds } },
  { route: 'rejoindre.$invitationId', deep: ['invitee'], params: { invitationId: f => [f.memberInvitationId, f.unknownId] } },

  // Cells: API
  { route: 'api.cells.$cellId.roster', deep: ['member'], params: { cellId: cellIds }, json: () => [{ links: [BLOB] }], schema: attestSchema },
  { route: 'api.cells.$cellId.charter.sign', deep: ['member'], params: { cellId: cellIds }, json: f => [{ version: 1, hash: f.charterHash, signature: SIGNATURE_86 }], schema: signCharterSchema },
  {
    route: 'api.cells.$cellId.charter.publish',
    deep: ['coordinator'],
    params: { cellId: cellIds },
    json: () => [{ charter: { ...DEFAULT_CHARTER, version: 2 }, links: [BLOB], hash: HEX_64, signature: SIGNATURE_86 }],
    schema: publishCharterSchema,
  },
  {
    route: 'api.cells.$cellId.found',
    deep: ['invitee'],
    params: { cellId: f => [f.unfoundedCellId, f.cellId, f.unknownId] },
    json: f => [
      {
        invitationId: f.unfoundedFoundingInvitationId,
        links: [BLOB],
        sealed: [{ kind: 'cell_epoch_key', epoch: 0, slot: f.coordinatorId, blob: BLOB }],
        charterHash: f.unfoundedCharterHash,
        charterSignature: SIGNATURE_86,
      },
    ],
    schema: foundCellSchema,
  },
  { route: 'api.cells.$cellId.invitations', deep: ['coordinator'], params: { cellId: cellIds }, json: () => [{ email: 'personne.nouvelle@exemple.fr', role: 'associate' }], schema: createInvitationSchema },
  {
    route: 'api.cells.$cellId.invitations.$invitationId.confirm',
    deep: ['coordinator'],
    params: { cellId: cellIds, invitationId: f => [f.answeredInvitationId, f.memberInvitationId, f.unknownId] },
    json: f => [{ ...ROTATION(f), epoch: null, intakeIndex: null, previousEpoch: null, previousIndexKey: null }],
    schema: confirmInvitationSchema,
  },
  {
    route: 'api.cells.$cellId.invitations.$invitationId.cancel',
    deep: ['coordinator'],
    // An unknown invitation only: cancelling a fixture's invitation would change what the other rows meet.
    params: { cellId: cellIds, invitationId: f => [f.unknownId] },
    json: () => [{ reason: 'withdrawn' }],
    schema: cancelInvitationSchema,
  },
  {
    route: 'api.cells.$cellId.members.$memberId.remove',
    deep: ['coordinator'],
    params: { cellId: cellIds, memberId: f => [f.memberId, f.coordinatorId, f.unknownId] },
    json: f => [ROTATION(f)],
    schema: rotationSchema,
  },
  {
    route: 'api.cells.$cellId.members.$memberId.role',
    deep: ['coordinator'],
    params: { cellId: cellIds, memberId: f => [f.memberId, f.coordinatorId, f.unknownId] },
    json: f => [{ role: 'associate', ...ROTATION(f) }],
    schema: setRoleSchema,
  },
  {
    route: 'api.invitations-cellule.$invitationId',
    deep: ['invitee', 'coordinator'],
    params: { invitationId: f => [f.memberInvitationId, f.answeredInvitationId, f.unknownId] },
    json: () => [{ proof: 'B'.repeat(43) }],
    schema: answerInvitationSchema,
  },
]

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD'
type Body = { json: JsonBody; contentType: string | undefined } | { form: FormFields; encoding: FormEncoding }

/** One generated request, as fast-check prints it when it fails. */
type FuzzCase = {
  actor: FuzzActor
  method: Method
  /** Path and query, already encoded as sent. */
  url: string
  cookie: CookieMode
  headers: Record<string, string>
  body?: Body
}

let app: InProcessApp
let world: FuzzWorld
let build: ServerBuild

function routeFilesOnDisk(): string[] {
  return readdirSync(path.join(projectRoot, 'app', 'routes'), { withFileTypes: true })
    .filter(entry => !entry.name.startsWith('.') && !/\.test\./.test(entry.name))
    .map(entry => (entry.isDirectory() ? entry.name : entry.name.replace(/\.(tsx|ts|jsx|js)$/, '')))
    .sort()
}

/** Path segments of a flat route name: literals, `{ param }`, `{ splat }` (Remix v2 conventions). */
function segmentsOf(route: string): ({ literal: string } | { param: string } | { splat: true })[] {
  return route
    .split('.')
    .filter(segment => segment !== '_index' && !segment.startsWith('_'))
    .map(segment => segment.replace(/_$/, ''))
    .map(segment => (segment === '$' ? { splat: true as const } : segment.startsWith('$') ? { param: segment.slice(1) } : { literal: segment }))
}

/** Whether a route module renders a page (its POSTs also come as `.data`, as Remix's <Form> sends them). */
function isPage(target: Target): boolean {
  return Boolean(build.routes[`routes/${target.route}`]?.module.default)
}

function isIndexRoute(target: Target): boolean {
  return target.route === '_index' || target.route.endsWith('._index')
}

/** The path, with valid parameters (`hostile: false`) or with hostile segments and suffixes. */
function pathArbitrary(target: Target, { hostile }: { hostile: boolean }): fc.Arbitrary<string> {
  const fixtures = world.fixtures
  const parts = segmentsOf(target.route).map(segment => {
    if ('literal' in segment) return fc.constant(segment.literal)
    if ('splat' in segment) {
      return hostile ? fc.array(fc.oneof(fc.constant('cette-page-n-existe-pas'), hostileSegment), { minLength: 1, maxLength: 3 }).map(list => list.join('/')) : fc.constant('cette-page-n-existe-pas')
    }
    const [first = fixtures.unknownId, ...others] = target.params?.[segment.param]?.(fixtures) ?? []
    const valid = others.length > 0 ? fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(first), weight: 4 }, { arbitrary: fc.constantFrom(...others), weight: 1 }) : fc.constant(first)
    return hostile ? fc.oneof({ withCrossShrink: true }, { arbitrary: valid, weight: 1 }, { arbitrary: hostileSegment, weight: 3 }) : valid
  })
  const plainSuffix = isPage(target) ? fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(''), weight: 3 }, { arbitrary: fc.constant('.data'), weight: 1 }) : fc.constant('')
  const suffix = hostile
    ? fc.oneof(
        { withCrossShrink: true },
        { arbitrary: plainSuffix, weight: 4 },
        { arbitrary: fc.constant('.data'), weight: 2 },
        { arbitrary: fc.constantFrom('/', '//', '/%ff', '%00', '.json', '/.data', '%2e%2e', '/%c0%af', '.data.data', '/_root.data'), weight: 3 },
      )
    : plainSuffix
  return fc.tuple(fc.tuple(...parts), suffix).map(([segments, end]) => {
    const base = `/${segments.join('/')}`.replace(/\/$/, '') || '/'
    if (end === '.data' && base === '/') return '/_root.data'
    return `${base}${end}`
  })
}

/** The query string: the loader's own parameters with valid values, or hostile pairs. */
function queryArbitrary(target: Target, method: 'GET' | 'POST', { hostile }: { hostile: boolean }): fc.Arbitrary<string> {
  const known = target.query?.(world.fixtures) ?? {}
  const keys = Object.keys(known)
  const validPair = (key: string) => fc.constantFrom(...(known[key] ?? [''])).map(value => [key, percentEncode(value)] as const)
  const pairs: fc.WeightedArbitrary<readonly [string, string]>[] = [
    {
      arbitrary: fc.constantFrom<readonly [string, string]>(
        ['index', ''],
        ['_data', `routes/${target.route}`],
        ['_data', 'root'],
        ['_data', '%ff'],
        ['_routes', `routes/${target.route}`],
        ['_routes', 'root,routes/inexistante'],
        ['_routes', '%E0%A4%A'],
        ['%ff', '%c0%af'],
        ['redirectTo', '//autre-site.exemple'],
      ),
      weight: 2,
    },
    { arbitrary: fc.tuple(nastyString.map(percentEncode), nastyString.map(percentEncode)).filter(([key]) => key.length < 3_000), weight: 1 },
  ]
  if (keys.length > 0) {
    pairs.unshift({
      arbitrary: fc.constantFrom(...keys).chain(key => {
        const values = known[key] ?? ['']
        return fc
          .oneof({ withCrossShrink: true }, { arbitrary: fc.constantFrom(...values), weight: 2 }, { arbitrary: nearString(values[0] ?? ''), weight: 3 }, { arbitrary: nastyString, weight: 3 })
          .map(value => [key, percentEncode(value)] as const)
      }),
      weight: 8,
    })
  }
  type Pair = readonly [string, string]
  const validPairs: fc.Arbitrary<Pair[]> = fc.subarray(keys).chain(chosen => (chosen.length > 0 ? fc.tuple(...chosen.map(validPair)).map(list => [...list]) : fc.constant<Pair[]>([])))
  const list: fc.Arbitrary<Pair[]> = hostile
    ? fc.tuple(validPairs, fc.array(fc.oneof(...pairs), { minLength: 1, maxLength: 3 })).map(([valid, broken]) => [...valid, ...broken])
    : validPairs
  return fc.tuple(list, fc.boolean(), fc.integer({ min: 0, max: 9 })).map(([entries, raw, indexDice]) => {
    // A form posted to an index route carries `?index`, as Remix's <Form> sends it (not always, when hostile).
    const withIndex = method === 'POST' && isIndexRoute(target) && (!hostile || indexDice > 2)
    const all: (readonly [string, string])[] = withIndex ? [['index', ''], ...entries] : [...entries]
    if (all.length === 0) return ''
    return `?${all.map(([key, value]) => (value === '' && key === 'index' && raw ? key : `${key}=${value}`)).join('&')}`
  })
}

/** The action's body: the valid templates as the page sends them, or broken at one place. */
function bodyArbitrary(target: Target, { hostile }: { hostile: boolean }): fc.Arbitrary<Body> {
  const fixtures = world.fixtures
  if (target.json) {
    const templates = target.json(fixtures)
    return hostile
      ? fc.record({ json: jsonBody(templates), contentType: contentTypeForJson })
      : fc.constantFrom(...templates).map(template => ({ json: { kind: 'text' as const, text: JSON.stringify(template) }, contentType: 'application/json' }))
  }
  const templates = target.form?.(fixtures) ?? [{ champ: 'valeur' }]
  if (!hostile) return fc.record({ form: fc.constantFrom(...templates).map(template => Object.entries(template)), encoding: fc.constantFrom<FormEncoding>('urlencoded', 'multipart') })
  if (target.form) return fc.record({ form: formFields(templates), encoding: formEncoding })
  // No action: any body, the route must still answer in French.
  return fc.oneof(fc.record({ form: formFields(templates), encoding: formEncoding }), fc.record({ json: jsonBody([{ champ: 'valeur' }]), contentType: contentTypeForJson }))
}

function actorArbitrary(target: Target, { hostile }: { hostile: boolean }): fc.Arbitrary<FuzzActor> {
  const deep = target.deep.length > 0 ? target.deep : (['anonymous'] as const)
  const plain = fc.constantFrom(...deep)
  if (!hostile) return plain
  const others = (['anonymous', 'member'] as const).filter(actor => !deep.includes(actor))
  return others.length > 0 ? fc.oneof({ withCrossShrink: true }, { arbitrary: plain, weight: 1 }, { arbitrary: fc.constantFrom(...others), weight: 2 }) : plain
}

type Dimension = 'body' | 'path' | 'query' | 'cookie' | 'headers' | 'method' | 'actor'

/**
 * Mostly one thing broken at a time, so the rest of the request gets the input as deep as it can
 * go (past the guard, to the schema and beyond); sometimes everything at once.
 */
function caseArbitrary(target: Target, method: 'GET' | 'POST'): fc.Arbitrary<FuzzCase> {
  const methods: fc.Arbitrary<Method> =
    method === 'GET'
      ? fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant<Method>('GET'), weight: 2 }, { arbitrary: fc.constant<Method>('HEAD'), weight: 1 })
      : fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant<Method>('POST'), weight: 1 }, { arbitrary: exoticMethod as fc.Arbitrary<Method>, weight: 3 })
  const parts = (broken: readonly Dimension[]) => {
    const hostile = (dimension: Dimension) => ({ hostile: broken.includes(dimension) })
    return fc.record({
      actor: actorArbitrary(target, hostile('actor')),
      method: broken.includes('method') ? methods : fc.constant<Method>(method),
      path: pathArbitrary(target, hostile('path')),
      query: queryArbitrary(target, method, hostile('query')),
      cookie: broken.includes('cookie') ? cookieMode : fc.constant<CookieMode>('actor'),
      headers: broken.includes('headers') ? extraHeaders : fc.constant({}),
      body: method === 'POST' ? bodyArbitrary(target, hostile('body')) : fc.constant(undefined),
    })
  }
  const hasAction = Boolean(target.json ?? target.form)
  const hasParams = Boolean(target.params)
  const ALL: Dimension[] = ['body', 'path', 'query', 'cookie', 'headers', 'method', 'actor']
  const focus: [Dimension[], number][] =
    method === 'POST'
      ? [[['body'], hasAction ? 10 : 3], [['path'], hasParams ? 2 : 1], [['query'], 1], [['cookie'], 1], [['headers'], 1], [['method'], 1], [['actor'], 1], [ALL, 2]]
      : [[['query'], target.query ? 6 : 2], [['path'], hasParams ? 4 : 2], [['cookie'], 1], [['headers'], 1], [['method'], 1], [['actor'], 1], [ALL, 2]]
  return fc
    .oneof({ withCrossShrink: true }, ...focus.map(([broken, weight]) => ({ arbitrary: parts(broken), weight })))
    .map(({ path: pathname, query, body, ...rest }) => {
      const fuzzCase: FuzzCase = { ...rest, url: `${pathname}${query}` }
      return rest.method === 'HEAD' || body === undefined ? fuzzCase : { ...fuzzCase, body }
    })
}

/**
 * Cases every route gets whatever the seed, the plainest first (a failure names the first that
 * fails, and these are not shrunk): the valid request itself, then the shapes issue 11 names.
 */
function fixedExamples(target: Target, method: 'GET' | 'POST'): FuzzCase[] {
  const fixtures = world.fixtures
  const actor = target.deep[0] ?? 'anonymous'
  const segments = segmentsOf(target.route)
  const validPath = `/${segments
    .map(segment => ('literal' in segment ? segment.literal : 'splat' in segment ? 'cette-page-n-existe-pas' : (target.params?.[segment.param]?.(fixtures)[0] ?? fixtures.unknownId)))
    .join('/')}`
  const brokenPath = segments.some(segment => !('literal' in segment))
    ? `/${segments.map(segment => ('literal' in segment ? segment.literal : '%c0%af')).join('/')}`
    : `${validPath.replace(/\/$/, '')}/%ff`
  const index = method === 'POST' && isIndexRoute(target) ? '?index' : ''
  const template = target.json?.(fixtures)[0]
  const validBody: Body | undefined =
    method === 'GET'
      ? undefined
      : template
        ? { json: { kind: 'text', text: JSON.stringify(template) }, contentType: 'application/json' }
        : { form: Object.entries(target.form?.(fixtures)[0] ?? { champ: 'valeur' }), encoding: 'urlencoded' }
  const brokenBody: Body | undefined =
    method === 'GET' ? undefined : template ? { json: { kind: 'text', text: '{"' }, contentType: 'application/json' } : { form: [['champ', 'valeur']], encoding: 'urlencoded-raw-escapes' }
  const base = { actor, method, headers: {}, cookie: 'actor' as CookieMode, ...(validBody ? { body: validBody } : {}) }
  const dataPath = validPath === '/' ? '/_root.data' : `${validPath}.data`
  return [
    { ...base, url: `${validPath}${index}` },
    { ...base, url: `${dataPath}${index}` },
    { ...base, url: `${validPath}?_data=${encodeURIComponent(`routes/${target.route}`)}${index ? '&index' : ''}` },
    { ...base, url: `${brokenPath}${index}` },
    { ...base, url: `${validPath}${index}`, cookie: { raw: 'cellule_session=%E0%A4%A' } },
    ...(brokenBody ? [{ ...base, url: `${validPath}${index}`, body: brokenBody }] : []),
  ]
}

async function cookieHeader(target: Target, fuzzCase: FuzzCase): Promise<string | undefined> {
  const own = await world.cookieFor(fuzzCase.actor, { fresh: target.freshSession === true })
  const mode = fuzzCase.cookie
  if (mode === 'actor') return own
  if (mode === 'none') return undefined
  if ('raw' in mode) return mode.raw
  return own ? `${own}; ${mode.withActor}` : mode.withActor
}

function multipartBody(fields: FormFields): FormData {
  const data = new FormData()
  for (const [name, value] of fields) {
    if (typeof value === 'string') data.append(name, value)
    else data.append(name, new Blob([value.file], { type: value.type }), value.name)
  }
  return data
}

function textOf(value: FormFields[number][1]): string {
  return typeof value === 'string' ? value : value.file
}

/** The text's UTF-8 bytes with each U+0001 replaced by bytes no UTF-8 decoder accepts. */
function invalidUtf8(text: string): Uint8Array<ArrayBuffer> {
  const bad = [0xff, 0xc0, 0xaf, 0xe0, 0xa4]
  const bytes = [...new TextEncoder().encode(text)].flatMap(byte => (byte === 0x01 ? bad : [byte]))
  return new Uint8Array(bytes)
}

/** The request body and its content type, as the case says to break them. */
function encodeBody(body: Body): { payload: BodyInit; contentType: string | undefined } {
  if ('json' in body) {
    const payload = body.json.kind === 'text' ? body.json.text : new Uint8Array(Buffer.from(body.json.hex, 'hex'))
    return { payload, contentType: body.contentType }
  }
  const { form: fields, encoding } = body
  switch (encoding) {
    case 'urlencoded':
      return { payload: new URLSearchParams(fields.map(([name, value]) => [name, textOf(value)])).toString(), contentType: 'application/x-www-form-urlencoded' }
    case 'urlencoded-raw-escapes':
      return { payload: [...fields.map(([name]) => `${percentEncode(name)}=%ff%c0%af`), 'a=%', '%zz=1', '=&&=='].join('&'), contentType: 'application/x-www-form-urlencoded' }
    case 'urlencoded-invalid-utf8': {
      // Raw bytes that are not UTF-8 (0xff, an overlong 0xc0 0xaf, a cut sequence) in every value.
      const text = fields.map(([name, value]) => `${percentEncode(name)}=${percentEncode(textOf(value))}\u0001`).join('&')
      return { payload: invalidUtf8(text), contentType: 'application/x-www-form-urlencoded' }
    }
    case 'multipart':
      return { payload: multipartBody(fields), contentType: undefined }
    case 'multipart-invalid-utf8': {
      const parts = fields.map(([name, value]) => `--limite\r\nContent-Disposition: form-data; name="${name.replace(/["\r\n]/g, '')}\u0001"\r\n\r\n${textOf(value)}\u0001\r\n`).join('')
      return { payload: invalidUtf8(`${parts}--limite--\r\n`), contentType: 'multipart/form-data; boundary=limite' }
    }
    case 'multipart-wrong-boundary': {
      const parts = fields.map(([name, value]) => `--limite\r\nContent-Disposition: form-data; name="${name.replace(/["\r\n]/g, '')}"\r\n\r\n${textOf(value)}\r\n`).join('')
      return { payload: `${parts}--limite`, contentType: 'multipart/form-data; boundary=autre-limite' }
    }
    case 'json':
      return { payload: JSON.stringify(Object.fromEntries(fields.map(([name, value]) => [name, textOf(value)]))), contentType: 'application/json' }
    case 'text':
      return { payload: fields.map(([name, value]) => `${name}=${textOf(value)}`).join('\n'), contentType: 'text/plain' }
  }
}

async function execute(target: Target, fuzzCase: FuzzCase): Promise<Observed> {
  await resetThrottles(app)
  const headers: Record<string, string> = {}
  const cookie = await cookieHeader(target, fuzzCase)
  if (cookie) headers.Cookie = cookie
  if (fuzzCase.method !== 'GET' && fuzzCase.method !== 'HEAD') headers.Origin = app.url
  let payload: BodyInit | undefined
  if (fuzzCase.body && fuzzCase.method !== 'HEAD') {
    const encoded = encodeBody(fuzzCase.body)
    payload = encoded.payload
    if (encoded.contentType) headers['Content-Type'] = encoded.contentType
  }
  Object.assign(headers, fuzzCase.headers)
  const logsBefore = app.logs().length
  const response = await fetch(`${app.url}${fuzzCase.url}`, { method: fuzzCase.method, headers, body: payload, redirect: 'manual' }).catch((error: unknown) => {
    const cause = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error)
    throw new Error(`no answer: the server closed the connection, or the client could not send this request — ${cause}`)
  })
  const body = await response.text()
  // pino-http writes its line when the response finishes: let the server's side of the socket catch up.
  await new Promise(resolve => setImmediate(resolve))
  await new Promise(resolve => setImmediate(resolve))
  const logLines = app.logs().slice(logsBefore).split('\n').filter(Boolean)
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body, logLines }
}

// ---------------------------------------------------------------------------------------------
// Running and reporting
// ---------------------------------------------------------------------------------------------

function describeCase(fuzzCase: FuzzCase): string {
  const body = fuzzCase.body
    ? 'json' in fuzzCase.body
      ? ` [${fuzzCase.body.contentType ?? 'no content type'}] ${fuzzCase.body.json.kind === 'text' ? JSON.stringify(fuzzCase.body.json.text.slice(0, 300)) : `hex ${fuzzCase.body.json.hex.slice(0, 300)}`}`
      : ` [form ${fuzzCase.body.encoding}] ${JSON.stringify(fuzzCase.body.form).slice(0, 300)}`
    : ''
  const cookie = fuzzCase.cookie === 'actor' ? '' : ` cookie=${JSON.stringify(fuzzCase.cookie).slice(0, 120)}`
  const headers = Object.keys(fuzzCase.headers).length > 0 ? ` headers=${JSON.stringify(fuzzCase.headers).slice(0, 120)}` : ''
  return `${fuzzCase.actor}: ${fuzzCase.method} ${fuzzCase.url.slice(0, 300)}${cookie}${headers}${body}`
}

/** The body in a line: an HTML page by its title and first heading, anything else as it starts. */
function bodySummary(observed: Observed): string {
  if (observed.contentType.includes('html')) {
    const title = /<title>([\s\S]*?)<\/title>/i.exec(observed.body)?.[1] ?? ''
    const headings = [...observed.body.matchAll(/<h1[^>]*>([\s\S]*?)<\/h1>/gi)].map(match => visibleText(match[1] ?? ''))
    return `page ${JSON.stringify(visibleText(title))}, headings ${JSON.stringify(headings)}`
  }
  return `body ${JSON.stringify(observed.body.slice(0, 300))}`
}

function describeViolations(observed: Observed, violations: Violation[]): string {
  const list = violations.map(violation => `  - ${violation.kind}: ${violation.detail}`).join('\n')
  return `HTTP ${observed.status} (${observed.contentType || 'no content type'}), ${bodySummary(observed)}\n${list}`
}

/** Distinct violations across the whole run (survey mode), with the first request showing each. */
const survey = new Map<string, { count: number; example: string; answer: string }>()
let requestsSent = 0
/** Statuses answered per property (survey mode): shows how deep the generated input gets. */
const statuses = new Map<string, Map<number, number>>()

function surveyKey(target: Target, method: string, violation: Violation): string {
  const detail = violation.detail
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/ in (?:…)?".*$/, '')
    .replace(/\/[^\s'"]*/g, '<path>')
  return `${target.route} ${method} | ${violation.kind}: ${detail.slice(0, 160)}`
}

async function fuzz(target: Target, method: 'GET' | 'POST', numRuns: number) {
  let failures = 0
  let runsAfterFailure = 0
  const property = fc.asyncProperty(caseArbitrary(target, method), async fuzzCase => {
    if (failures > 0 && ++runsAfterFailure > SHRINK_BUDGET) return true
    const observed = await execute(target, fuzzCase)
    requestsSent += 1
    if (SURVEY) {
      const counts = statuses.get(`${method} ${target.route}`) ?? new Map<number, number>()
      counts.set(observed.status, (counts.get(observed.status) ?? 0) + 1)
      statuses.set(`${method} ${target.route}`, counts)
    }
    const violations = await violationsOf(observed)
    if (violations.length === 0) return true
    if (SURVEY) {
      for (const violation of violations) {
        const key = surveyKey(target, method, violation)
        const entry = survey.get(key) ?? { count: 0, example: describeCase(fuzzCase), answer: describeViolations(observed, [violation]) }
        entry.count += 1
        survey.set(key, entry)
      }
      return true
    }
    failures += 1
    throw new Error(describeViolations(observed, violations))
  })
  const details = await fc.check(property, { seed: SEED, numRuns: RUNS ?? numRuns, examples: fixedExamples(target, method).map(example => [example]) })
  if (details.failed) {
    const [counterexample] = details.counterexample ?? []
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
    throw new Error(
      `Fuzz ${method} ${target.route} failed — seed ${details.seed} (replay: FUZZ_SEED=${details.seed} npx vitest run tests/security/fuzz.test.ts -t '${method} ${target.route.replace(/[$.]/g, '\\$&')}$'), ` +
        `path ${JSON.stringify(details.counterexamplePath)}, after ${details.numRuns} runs, shrunk ${details.numShrinks} times.\n` +
        `Request: ${counterexample ? describeCase(counterexample) : '(none)'}\nAnswer: ${error}`,
    )
  }
}

/** Runs per property: deeper for what parses input, lighter for static pages. */
function runsFor(target: Target, method: 'GET' | 'POST'): number {
  if (method === 'POST') return target.json || target.form ? 60 : 10
  if (target.query || target.params) return 30
  return 10
}

beforeAll(async () => {
  app = await startInProcessApp()
  build = (await import(path.join(projectRoot, 'build', 'index.js'))) as ServerBuild
  world = await createFuzzWorld(app)
})

afterAll(async () => {
  await app?.close()
  if (SURVEY) {
    const reach = [...statuses.entries()].map(([name, counts]) => `  ${name}: ${[...counts.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}`)
    process.stdout.write(`\nFuzz survey, statuses per property:\n${reach.join('\n')}\n`)
  }
  if (SURVEY && survey.size > 0) {
    const lines = [...survey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, entry]) => `${key} (×${entry.count})\n    request: ${entry.example}\n    answer:  ${entry.answer.replace(/\n/g, '\n             ')}`)
    process.stdout.write(`\nFuzz survey, seed ${SEED}: ${survey.size} distinct violations\n${lines.join('\n')}\n`)
  }
})

describe('fuzz: the table covers every route', () => {
  it('has an entry for every route file in app/routes/, and for no other', () => {
    const onDisk = routeFilesOnDisk()
    const inTable = TARGETS.map(target => target.route)
    expect(onDisk.filter(route => !inTable.includes(route)), 'route files the fuzz table does not cover: add them to TARGETS').toEqual([])
    expect(inTable.filter(route => !onDisk.includes(route)), 'entries for routes that do not exist').toEqual([])
    expect(new Set(inTable).size, 'one entry per route').toBe(inTable.length)
  })

  it('generates the body of every action and a value for every path parameter (from the built app)', () => {
    const problems: string[] = []
    for (const target of TARGETS) {
      const module = build.routes[`routes/${target.route}`]?.module
      if (!module) {
        problems.push(`${target.route}: not in the build (run npm run build)`)
        continue
      }
      const declaresBody = Boolean(target.json ?? target.form)
      // `export const action = getOnly` (a French 405 for any method but GET) takes no body: the fuzz's POSTs test it.
      const takesBody = Boolean(module.action) && (module.action as { name?: string }).name !== 'getOnly'
      if (takesBody && !declaresBody) problems.push(`${target.route}: action without a body template (json or form)`)
      if (!takesBody && declaresBody) problems.push(`${target.route}: body template but no action`)
      for (const segment of segmentsOf(target.route)) {
        if ('param' in segment && !target.params?.[segment.param]) problems.push(`${target.route}: no values for $${segment.param}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('starts from bodies the route’s schema accepts, so one mutation is one mistake', () => {
    const problems = TARGETS.flatMap(target =>
      target.schema && target.json
        ? target.json(world.fixtures).flatMap(template => (target.schema?.safeParse(template).success ? [] : [`${target.route}: ${JSON.stringify(template).slice(0, 120)}`]))
        : target.schema && target.form
          ? target.form(world.fixtures).flatMap(template => (target.schema?.safeParse(template).success ? [] : [`${target.route}: ${JSON.stringify(template)}`]))
          : [],
    )
    expect(totpCodeSchema.safeParse('123456').success).toBe(true)
    expect(problems).toEqual([])
  })
})

describe('fuzz: the oracle', () => {
  it('flags zod’s and the frameworks’ English, not French nor field names', () => {
    for (const english of ['Required', 'Expected string, received number', 'Invalid enum value', 'String must contain at least 1 character(s)', 'Unexpected Server Error', 'Method Not Allowed', 'Bad Request', 'Not Found', 'Number must be greater than or equal to 0']) {
      expect(englishIn(english), english).not.toEqual([])
    }
    for (const french of [
      'Formulaire incomplet ou invalide : Adresse électronique invalide.',
      'Requête illisible : le contenu envoyé n’est pas du JSON valide.',
      'Méthode non autorisée : cette adresse n’accepte que l’envoi de formulaires (POST).',
      'Le thé est servi ; données attendues, reçues.',
      'Identifiant invalide.',
      'Page non trouvée',
      'Votre session a expiré. Reconnectez-vous.',
    ]) {
      expect(englishIn(french), french).toEqual([])
    }
  })

  it('flags stack traces and server paths', () => {
    expect(stackIn('URIError: URI malformed\n    at decodeURIComponent (<anonymous>)')).not.toEqual([])
    expect(stackIn('<pre>x<br> &nbsp; &nbsp;at decode_param (/srv/app/node_modules/express/lib/router/layer.js:172:12)</pre>')).not.toEqual([])
    expect(stackIn('{"error":"Requête illisible : le contenu envoyé n’est pas du JSON valide."}')).toEqual([])
  })

  it('accepts what the app answers to well-formed requests', async () => {
    const f = world.fixtures
    const wellFormed: [Target['route'], FuzzCase][] = [
      ['_index', { actor: 'anonymous', method: 'GET', url: '/', cookie: 'actor', headers: {} }],
      ['cellules.$cellId._index', { actor: 'member', method: 'GET', url: `/cellules/${f.cellId}`, cookie: 'actor', headers: {} }],
      ['cellules.$cellId._index', { actor: 'member', method: 'GET', url: `/cellules/${f.unknownId}`, cookie: 'actor', headers: {} }],
      ['cellules.$cellId.journal._index', { actor: 'dpo', method: 'GET', url: `/cellules/${f.cellId}/journal`, cookie: 'actor', headers: {} }],
      ['api.auth.pre-login', { actor: 'anonymous', method: 'POST', url: '/api/auth/pre-login', cookie: 'actor', headers: {}, body: { json: { kind: 'text', text: '{"email":1}' }, contentType: 'application/json' } }],
      ['api.auth.login', { actor: 'anonymous', method: 'GET', url: '/api/auth/login', cookie: 'actor', headers: {} }],
    ]
    const problems: string[] = []
    for (const [route, fuzzCase] of wellFormed) {
      const target = TARGETS.find(entry => entry.route === route)
      if (!target) throw new Error(`no target ${route}`)
      const observed = await execute(target, fuzzCase)
      const violations = await violationsOf(observed)
      if (violations.length > 0) problems.push(`${describeCase(fuzzCase)} → ${describeViolations(observed, violations)}`)
    }
    expect(problems).toEqual([])
  })
})

describe(`fuzz: every route and method (seed ${SEED})`, () => {
  for (const target of TARGETS) {
    for (const method of ['GET', 'POST'] as const) {
      it(`${method} ${target.route}`, async () => {
        await fuzz(target, method, runsFor(target, method))
      })
    }
  }

  it('sent requests to every route', () => {
    process.stdout.write(`Fuzz: ${TARGETS.length} routes × GET and POST, seed ${SEED}, ${requestsSent} requests.\n`)
    expect(requestsSent).toBeGreaterThan(TARGETS.length * 2)
  })
})

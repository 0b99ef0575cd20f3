/**
 * The authorization matrix (issue 5, DESIGN §9 and §12): for every route module in app/routes/ and
 * every method it handles (one row per intent of a POST with several), the expected outcome for each
 * actor state. authorization-matrix.test.ts runs every cell over real HTTP against the built app and
 * fails on any difference, and on any route file, loader or action without a row.
 *
 * Expectations come from the design (charter/actions.ts names the action each route needs), not from
 * what the routes happen to answer.
 */

/** The actor states every row is run for. */
export const ACTORS = [
  'anonymous',
  /** Platform admin: creates cells, holds no key, sees no cell content (DESIGN §1). */
  'platformAdmin',
  /** Signed in with both factors, member of no cell. Also the invitee of the pending invitations below. */
  'nonMember',
  /** Active member (role member) of cell A who signed version 1 but not the current version 2. */
  'unsignedMember',
  /** Active member (role member) of cell A, current charter signed. */
  'signedMember',
  /** Active associate of cell A (profession not bound by secrecy), current charter signed. */
  'associate',
  /** Active coordinator of cell A, current charter signed. */
  'coordinator',
  /** Active DPO of cell A, current charter signed: no key, no content. */
  'dpo',
  /** Former member of cell A (membership 'removed'), signed in again with a fresh session. */
  'removedMember',
  /** Coordinator of cell B (charter signed), nothing in cell A: the strongest outsider, for cross-cell checks. */
  'otherCellMember',
] as const

export type Actor = (typeof ACTORS)[number]

/**
 * Coarse outcome classes:
 * - allow: 2xx; a redirect elsewhere than the login page; or a 4xx for an input reason (400, 409, 410,
 *   422) after the guard let the request through (bodies are chosen so the guard is evaluated first).
 * - deny: 401 or 403, or a redirect to /connexion asking to sign in (redirectTo) or for the second factor.
 * - notfound: 404 where the design hides the resource (or the page does not exist).
 * - method: 405, the route answers this method for nobody (POST-only endpoints asked with GET).
 */
export type Outcome = 'allow' | 'deny' | 'notfound' | 'method'

export type Expectation = Record<Actor, Outcome>

/** What the test set up; rows build their URL and body from it. */
export type MatrixFixtures = {
  /** Cell A: founded, charter version 2 current, every actor state above. */
  cellId: string
  /** Cell B: founded, coordinated by the other-cell member. */
  otherCellId: string
  /** A cell created by the platform admin, not founded yet; its founding invitation goes to the non-member. */
  unfoundedCellId: string
  unfoundedFoundingInvitationId: string
  /** A valid UUID of no cell. */
  unknownCellId: string
  /** A pending invitation of cell A (role member) addressed to the non-member. */
  memberInvitationId: string
  /** A valid UUID of no invitation. */
  unknownInvitationId: string
  /** A valid account-registration token (public page). */
  registrationToken: string
  /** The signed member's user id (target of removal and role change). */
  signedMemberId: string
}

export type RequestBody = { json: unknown } | { form: Record<string, string> }

export type MatrixRow = {
  /** Route module file name without extension, as in app/routes/. */
  route: string
  method: 'GET' | 'POST'
  /** Intent of a POST with several, or a resource variant of the same route (shown in test names). */
  label?: string
  path: (fixtures: MatrixFixtures) => string
  body?: (fixtures: MatrixFixtures) => RequestBody
  /** The request ends the session (logout): each case gets a fresh session of the same account. */
  freshSession?: boolean
  /** Why: the policy action or rule that decides. */
  rule: string
  expect: Expectation
}

function everyone(outcome: Outcome): Expectation {
  return Object.fromEntries(ACTORS.map(actor => [actor, outcome])) as Expectation
}

/** Signed in (both factors) → `outcome`; anonymous → deny. */
function signedIn(outcome: Outcome): Expectation {
  return { ...everyone(outcome), anonymous: 'deny' }
}

/** Only these actors are allowed; everyone else is denied. */
function allowedOnlyFor(allowed: readonly Actor[]): Expectation {
  return Object.fromEntries(ACTORS.map(actor => [actor, allowed.includes(actor) ? 'allow' : 'deny'])) as Expectation
}

/** Anonymous is sent to login (the resource is never looked up); everyone signed in gets a 404. */
const HIDDEN: Expectation = { ...everyone('notfound'), anonymous: 'deny' }
const POST_ONLY: Expectation = everyone('method')

/** Cell actions allowed before signing the current charter (cell:home:read, cell:charter:read/sign, cell:roster:read). */
const CELL_ROLES_BEFORE_SIGNATURE: readonly Actor[] = ['unsignedMember', 'signedMember', 'associate', 'coordinator', 'dpo']
/** Cell actions for every role once the current charter is signed (cell:members:read). */
const CELL_ROLES_SIGNED: readonly Actor[] = ['signedMember', 'associate', 'coordinator', 'dpo']
/** Holders of the cell key, charter signed (cell:roster:attest, cell:keys:read): no DPO. */
const KEY_HOLDERS_SIGNED: readonly Actor[] = ['signedMember', 'associate', 'coordinator']
const COORDINATOR: readonly Actor[] = ['coordinator']

const HEX_64 = 'f'.repeat(64)
const SIGNATURE_86 = 'A'.repeat(86)
/** Well-formed base64url that is not a roster link: the server refuses it with a 409 after authorization. */
const GARBAGE_LINK = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const ROTATION_SHAPE = { links: [GARBAGE_LINK], epoch: 1, intakeIndex: null, sealed: [], previousEpoch: null, previousIndexKey: null }

/** GET of a POST-only endpoint: a 405 for everyone, nothing served. */
function postOnlyGet(route: string, path: (fixtures: MatrixFixtures) => string): MatrixRow {
  return { route, method: 'GET', path, rule: 'POST-only endpoint (postOnly loader)', expect: POST_ONLY }
}

const ROWS: readonly MatrixRow[] = [
  // Public pages
  { route: '_index', method: 'GET', path: () => '/', rule: 'public home', expect: everyone('allow') },
  { route: 'healthz', method: 'GET', path: () => '/healthz', rule: 'public health check', expect: everyone('allow') },
  { route: 'accessibilite', method: 'GET', path: () => '/accessibilite', rule: 'public legal page', expect: everyone('allow') },
  { route: 'mentions-legales', method: 'GET', path: () => '/mentions-legales', rule: 'public legal page', expect: everyone('allow') },
  { route: '$', method: 'GET', path: () => '/cette-page-n-existe-pas', rule: '404 catch-all', expect: everyone('notfound') },
  { route: '$', method: 'POST', path: () => '/cette-page-n-existe-pas', body: () => ({ form: { champ: 'valeur' } }), rule: '404 catch-all', expect: everyone('notfound') },
  { route: 'connexion', method: 'GET', path: () => '/connexion', rule: 'public login page (signed in: sent on to /compte)', expect: everyone('allow') },
  { route: 'deconnexion', method: 'GET', path: () => '/deconnexion', rule: 'logout is never a GET: redirect home', expect: everyone('allow') },
  {
    route: 'deconnexion',
    method: 'POST',
    path: () => '/deconnexion',
    body: () => ({ form: {} }),
    freshSession: true,
    rule: 'logout: anyone, ends their own session',
    expect: everyone('allow'),
  },
  { route: 'invitation._index', method: 'GET', path: () => '/invitation', rule: 'public account invitation page (the token stays in the fragment, the page asks /api/auth/invitation)', expect: everyone('allow') },
  { route: 'invitation.$token', method: 'GET', path: fixtures => `/invitation/${fixtures.registrationToken}`, rule: 'links issued before the fragment: redirect to /invitation#token', expect: everyone('allow') },
  { route: 'mot-de-passe-oublie', method: 'GET', path: () => '/mot-de-passe-oublie', rule: 'public recovery page', expect: everyone('allow') },

  // Authentication API: public steps, then session-bound ones
  { route: 'api.auth.pre-login', method: 'POST', path: () => '/api/auth/pre-login', body: () => ({ json: { email: 'personne.inconnue@exemple.fr' } }), rule: 'public login step 1 (no enumeration)', expect: everyone('allow') },
  postOnlyGet('api.auth.pre-login', () => '/api/auth/pre-login'),
  { route: 'api.auth.login', method: 'POST', path: () => '/api/auth/login', body: () => ({ json: { email: 'personne.inconnue@exemple.fr' } }), rule: 'public login step 2', expect: everyone('allow') },
  postOnlyGet('api.auth.login', () => '/api/auth/login'),
  { route: 'api.auth.totp', method: 'POST', path: () => '/api/auth/totp', body: () => ({ json: { code: 'abc' } }), rule: 'second factor: needs a password session', expect: signedIn('allow') },
  postOnlyGet('api.auth.totp', () => '/api/auth/totp'),
  { route: 'api.auth.password', method: 'POST', path: () => '/api/auth/password', body: () => ({ json: {} }), rule: 'password change: both factors (rule 16)', expect: signedIn('allow') },
  postOnlyGet('api.auth.password', () => '/api/auth/password'),
  { route: 'api.auth.recovery-parameters', method: 'POST', path: () => '/api/auth/recovery-parameters', body: () => ({ json: { email: 'personne.inconnue@exemple.fr' } }), rule: 'public recovery step 1 (no enumeration)', expect: everyone('allow') },
  postOnlyGet('api.auth.recovery-parameters', () => '/api/auth/recovery-parameters'),
  { route: 'api.auth.recover', method: 'POST', path: () => '/api/auth/recover', body: () => ({ json: {} }), rule: 'public recovery step 2 (the code is the credential)', expect: everyone('allow') },
  postOnlyGet('api.auth.recover', () => '/api/auth/recover'),
  { route: 'api.auth.invitation', method: 'POST', path: () => '/api/auth/invitation', body: fixtures => ({ json: { token: fixtures.registrationToken } }), rule: 'public invitation lookup (the token, in the body, is the credential)', expect: everyone('allow') },
  postOnlyGet('api.auth.invitation', () => '/api/auth/invitation'),
  { route: 'api.auth.register', method: 'POST', path: () => '/api/auth/register', body: () => ({ json: {} }), rule: 'public registration (the invitation token is the credential)', expect: everyone('allow') },
  postOnlyGet('api.auth.register', () => '/api/auth/register'),
  { route: 'api.session', method: 'POST', path: () => '/api/session', body: () => ({ json: {} }), rule: 'session status: anyone (answers active: false without a session)', expect: everyone('allow') },
  postOnlyGet('api.session', () => '/api/session'),
  { route: 'api.account.keys', method: 'GET', path: () => '/api/account/keys', rule: 'own wrapped keys: both factors (rule 16)', expect: signedIn('allow') },
  { route: 'api.account.roster-pins', method: 'GET', path: () => '/api/account/roster-pins', rule: 'own synced roster pins (decision 022): any signed-in account, its own row only', expect: signedIn('allow') },
  // A valid body: each actor's first write stores its own row (200), a repeat is a French 409; both after the guard.
  { route: 'api.account.roster-pins', method: 'POST', path: () => '/api/account/roster-pins', body: () => ({ json: { counter: 1, blob: 'A'.repeat(60) } }), rule: 'own synced roster pins: any signed-in account writes its own row', expect: signedIn('allow') },

  // Account pages
  { route: 'compte._index', method: 'GET', path: () => '/compte', rule: 'own account: both factors', expect: signedIn('allow') },
  { route: 'compte._index', method: 'POST', label: 'revoke', path: () => '/compte?index', body: () => ({ form: { intent: 'revoke' } }), rule: 'revoke own session: both factors', expect: signedIn('allow') },
  { route: 'compte.double-authentification', method: 'GET', path: () => '/compte/double-authentification', rule: 'second-factor enrolment: password session (enrolled: sent on to /compte)', expect: signedIn('allow') },
  { route: 'compte.double-authentification', method: 'POST', path: () => '/compte/double-authentification', body: () => ({ form: { code: 'abc' } }), rule: 'second-factor enrolment: password session', expect: signedIn('allow') },
  { route: 'compte.mot-de-passe', method: 'GET', path: () => '/compte/mot-de-passe', rule: 'own password: both factors', expect: signedIn('allow') },

  // Platform administration
  { route: 'admin._index', method: 'GET', path: () => '/admin', rule: 'platform:cells:list', expect: allowedOnlyFor(['platformAdmin']) },
  { route: 'admin._index', method: 'POST', label: 'create cell', path: () => '/admin?index', body: () => ({ form: { name: '' } }), rule: 'platform:cell:create', expect: allowedOnlyFor(['platformAdmin']) },
  // Cell A has members: the admin is let through and refused for that reason (409), nothing archived.
  { route: 'admin._index', method: 'POST', label: 'archive cell', path: fixtures => `/admin?index&archiver=${fixtures.cellId}`, body: () => ({ form: { confirm: 'oui' } }), rule: 'platform:cell:archive', expect: allowedOnlyFor(['platformAdmin']) },

  // Cells: pages
  { route: 'cellules._index', method: 'GET', path: () => '/cellules', rule: 'my cells: both factors, own memberships only', expect: signedIn('allow') },
  {
    route: 'cellules._index',
    method: 'POST',
    label: 'notice-dismissed',
    path: () => '/cellules?index',
    body: fixtures => ({ form: { intent: 'notice-dismissed', cellId: fixtures.cellId } }),
    rule: 'dismiss one’s own membership notice: both factors, own memberships only (none waiting: 409)',
    expect: signedIn('allow'),
  },
  { route: 'cellules.$cellId._index', method: 'GET', path: fixtures => `/cellules/${fixtures.cellId}`, rule: 'cell:home:read (all roles, before signature)', expect: allowedOnlyFor(CELL_ROLES_BEFORE_SIGNATURE) },
  { route: 'cellules.$cellId._index', method: 'GET', label: 'unknown cell', path: fixtures => `/cellules/${fixtures.unknownCellId}`, rule: 'a missing cell is a 404', expect: HIDDEN },
  {
    route: 'cellules.$cellId._index',
    method: 'POST',
    label: 'habilitations-reviewed',
    path: fixtures => `/cellules/${fixtures.cellId}?index`,
    body: () => ({ form: { intent: 'habilitations-reviewed' } }),
    rule: 'cell:habilitation:review (coordinator, charter signed)',
    expect: allowedOnlyFor(COORDINATOR),
  },
  { route: 'cellules.$cellId.charte', method: 'GET', path: fixtures => `/cellules/${fixtures.cellId}/charte`, rule: 'cell:charter:read (all roles, before signature: rule 1)', expect: allowedOnlyFor(CELL_ROLES_BEFORE_SIGNATURE) },
  { route: 'cellules.$cellId.membres', method: 'GET', path: fixtures => `/cellules/${fixtures.cellId}/membres`, rule: 'cell:members:read (all roles, charter signed)', expect: allowedOnlyFor(CELL_ROLES_SIGNED) },
  {
    route: 'cellules.$cellId.registre',
    method: 'GET',
    path: fixtures => `/cellules/${fixtures.cellId}/registre`,
    // The page serves the member list (names, roles, statuses, removed members included) and who signed
    // the charter: what cell:members:read guards. Reading the roster before signing is for the keys
    // (the API row below), not for the names (issue 5: a new version suspends access until signed).
    rule: 'cell:members:read for its member list (all roles incl. DPO, charter signed)',
    expect: allowedOnlyFor(CELL_ROLES_SIGNED),
  },
  // Journal d'accès (issue 6): the DPO only, never a member or the coordinator (DESIGN §11).
  { route: 'cellules.$cellId.journal._index', method: 'GET', path: fixtures => `/cellules/${fixtures.cellId}/journal`, rule: 'cell:audit:read (DPO)', expect: allowedOnlyFor(['dpo']) },
  { route: 'cellules.$cellId.journal._index', method: 'GET', label: 'unknown cell', path: fixtures => `/cellules/${fixtures.unknownCellId}/journal`, rule: 'a missing cell is a 404', expect: HIDDEN },
  {
    route: 'cellules.$cellId.journal._index',
    method: 'POST',
    label: 'review',
    path: fixtures => `/cellules/${fixtures.cellId}/journal?index`,
    // A malformed alert id: the guard decides first, then the DPO gets a 422.
    body: () => ({ form: { intent: 'review', alertId: 'inconnue', status: 'reviewed', comment: '' } }),
    rule: 'cell:audit:review (DPO)',
    expect: allowedOnlyFor(['dpo']),
  },
  {
    route: 'cellules.$cellId.journal.consultations',
    method: 'GET',
    path: fixtures => `/cellules/${fixtures.cellId}/journal/consultations?ressource=members`,
    rule: 'cell:audit:read (DPO): who consulted a resource',
    expect: allowedOnlyFor(['dpo']),
  },
  { route: 'cellules.$cellId.journal.export', method: 'GET', path: fixtures => `/cellules/${fixtures.cellId}/journal/export`, rule: 'cell:audit:export (DPO): signed export', expect: allowedOnlyFor(['dpo']) },
  { route: 'rejoindre.$invitationId', method: 'GET', path: fixtures => `/rejoindre/${fixtures.memberInvitationId}`, rule: 'invitation page: the invitee only (invitation addressed to the non-member)', expect: allowedOnlyFor(['nonMember']) },
  { route: 'rejoindre.$invitationId', method: 'GET', label: 'unknown invitation', path: fixtures => `/rejoindre/${fixtures.unknownInvitationId}`, rule: 'a missing invitation is a 404', expect: HIDDEN },

  // Cells: API
  { route: 'api.cells.$cellId.roster', method: 'GET', path: fixtures => `/api/cells/${fixtures.cellId}/roster`, rule: 'cell:roster:read (all roles incl. DPO, before signature)', expect: allowedOnlyFor(CELL_ROLES_BEFORE_SIGNATURE) },
  { route: 'api.cells.$cellId.roster', method: 'GET', label: 'unknown cell', path: fixtures => `/api/cells/${fixtures.unknownCellId}/roster`, rule: 'a missing cell is a 404', expect: HIDDEN },
  {
    route: 'api.cells.$cellId.roster',
    method: 'POST',
    label: 'attest',
    path: fixtures => `/api/cells/${fixtures.cellId}/roster`,
    body: () => ({ json: { links: [GARBAGE_LINK] } }),
    rule: 'cell:roster:attest (key holders, charter signed)',
    expect: allowedOnlyFor(KEY_HOLDERS_SIGNED),
  },
  {
    route: 'api.cells.$cellId.charter.sign',
    method: 'POST',
    label: 'sign',
    path: fixtures => `/api/cells/${fixtures.cellId}/charter/sign`,
    body: () => ({ json: { version: 2, hash: HEX_64, signature: SIGNATURE_86 } }),
    rule: 'cell:charter:sign (all roles, before signature)',
    expect: allowedOnlyFor(CELL_ROLES_BEFORE_SIGNATURE),
  },
  {
    route: 'api.cells.$cellId.charter.publish',
    method: 'POST',
    label: 'publish',
    path: fixtures => `/api/cells/${fixtures.cellId}/charter/publish`,
    body: () => ({ json: { charter: {}, links: [GARBAGE_LINK], hash: HEX_64, signature: SIGNATURE_86 } }),
    rule: 'cell:charter:publish (coordinator, charter signed)',
    expect: allowedOnlyFor(COORDINATOR),
  },
  postOnlyGet('api.cells.$cellId.charter.sign', fixtures => `/api/cells/${fixtures.cellId}/charter/sign`),
  postOnlyGet('api.cells.$cellId.charter.publish', fixtures => `/api/cells/${fixtures.cellId}/charter/publish`),
  {
    route: 'api.cells.$cellId.found',
    method: 'POST',
    label: 'unfounded cell, founding invitation to the non-member',
    path: fixtures => `/api/cells/${fixtures.unfoundedCellId}/found`,
    body: fixtures => ({
      json: {
        invitationId: fixtures.unfoundedFoundingInvitationId,
        links: [GARBAGE_LINK],
        sealed: [],
        charterHash: HEX_64,
        charterSignature: SIGNATURE_86,
      },
    }),
    rule: 'cell:invitation:accept + the founding invitation is addressed to you (issue 5: the invited coordinator founds)',
    expect: allowedOnlyFor(['nonMember']),
  },
  postOnlyGet('api.cells.$cellId.found', fixtures => `/api/cells/${fixtures.unfoundedCellId}/found`),
  {
    route: 'api.cells.$cellId.invitations',
    method: 'POST',
    path: fixtures => `/api/cells/${fixtures.cellId}/invitations`,
    body: () => ({ json: {} }),
    rule: 'cell:member:invite (coordinator, charter signed)',
    expect: allowedOnlyFor(COORDINATOR),
  },
  postOnlyGet('api.cells.$cellId.invitations', fixtures => `/api/cells/${fixtures.cellId}/invitations`),
  {
    route: 'api.cells.$cellId.invitations.$invitationId.confirm',
    method: 'POST',
    path: fixtures => `/api/cells/${fixtures.cellId}/invitations/${fixtures.memberInvitationId}/confirm`,
    body: () => ({ json: { ...ROTATION_SHAPE, epoch: null } }),
    rule: 'cell:member:confirm (coordinator, charter signed)',
    expect: allowedOnlyFor(COORDINATOR),
  },
  {
    route: 'api.cells.$cellId.invitations.$invitationId.confirm',
    method: 'POST',
    label: 'cell B URL, invitation of cell A',
    path: fixtures => `/api/cells/${fixtures.otherCellId}/invitations/${fixtures.memberInvitationId}/confirm`,
    body: () => ({ json: { ...ROTATION_SHAPE, epoch: null } }),
    rule: 'tenant scoping: the coordinator of cell B cannot reach an invitation of cell A through cell B (404)',
    expect: { ...allowedOnlyFor([]), otherCellMember: 'notfound' },
  },
  postOnlyGet('api.cells.$cellId.invitations.$invitationId.confirm', fixtures => `/api/cells/${fixtures.cellId}/invitations/${fixtures.memberInvitationId}/confirm`),
  {
    route: 'api.cells.$cellId.invitations.$invitationId.cancel',
    method: 'POST',
    path: fixtures => `/api/cells/${fixtures.cellId}/invitations/${fixtures.memberInvitationId}/cancel`,
    // No reason: a 422 after the guard, so the fixture invitation stays open for the other rows.
    body: () => ({ json: {} }),
    rule: 'cell:member:invite (coordinator, charter signed): cancelling is the coordination’s',
    expect: allowedOnlyFor(COORDINATOR),
  },
  {
    route: 'api.cells.$cellId.invitations.$invitationId.cancel',
    method: 'POST',
    label: 'cell B URL, invitation of cell A',
    path: fixtures => `/api/cells/${fixtures.otherCellId}/invitations/${fixtures.memberInvitationId}/cancel`,
    body: () => ({ json: { reason: 'withdrawn' } }),
    rule: 'tenant scoping: the coordinator of cell B cannot cancel an invitation of cell A through cell B (404)',
    expect: { ...allowedOnlyFor([]), otherCellMember: 'notfound' },
  },
  postOnlyGet('api.cells.$cellId.invitations.$invitationId.cancel', fixtures => `/api/cells/${fixtures.cellId}/invitations/${fixtures.memberInvitationId}/cancel`),
  {
    route: 'api.cells.$cellId.members.$memberId.remove',
    method: 'POST',
    label: 'remove',
    path: fixtures => `/api/cells/${fixtures.cellId}/members/${fixtures.signedMemberId}/remove`,
    body: () => ({ json: { ...ROTATION_SHAPE } }),
    rule: 'cell:member:remove (coordinator, charter signed)',
    expect: allowedOnlyFor(COORDINATOR),
  },
  {
    route: 'api.cells.$cellId.members.$memberId.role',
    method: 'POST',
    label: 'set-role',
    path: fixtures => `/api/cells/${fixtures.cellId}/members/${fixtures.signedMemberId}/role`,
    body: () => ({ json: { role: 'associate', ...ROTATION_SHAPE } }),
    rule: 'cell:member:set-role (coordinator, charter signed)',
    expect: allowedOnlyFor(COORDINATOR),
  },
  {
    route: 'api.cells.$cellId.members.$memberId.remove',
    method: 'POST',
    label: 'remove, cell B URL, member of cell A',
    path: fixtures => `/api/cells/${fixtures.otherCellId}/members/${fixtures.signedMemberId}/remove`,
    body: () => ({ json: { ...ROTATION_SHAPE } }),
    rule: 'tenant scoping: the coordinator of cell B cannot remove a member of cell A through cell B (404)',
    expect: { ...allowedOnlyFor([]), otherCellMember: 'notfound' },
  },
  postOnlyGet('api.cells.$cellId.members.$memberId.remove', fixtures => `/api/cells/${fixtures.cellId}/members/${fixtures.signedMemberId}/remove`),
  postOnlyGet('api.cells.$cellId.members.$memberId.role', fixtures => `/api/cells/${fixtures.cellId}/members/${fixtures.signedMemberId}/role`),
  {
    route: 'api.invitations-cellule.$invitationId',
    method: 'GET',
    path: fixtures => `/api/invitations-cellule/${fixtures.memberInvitationId}`,
    rule: 'invitation status: the invitee (non-member); the answer: cell:member:confirm (coordinator)',
    expect: allowedOnlyFor(['nonMember', 'coordinator']),
  },
  {
    route: 'api.invitations-cellule.$invitationId',
    method: 'POST',
    label: 'answer',
    path: fixtures => `/api/invitations-cellule/${fixtures.memberInvitationId}`,
    body: () => ({ json: { proof: '!' } }),
    rule: 'the invitee answers (cell:invitation:accept)',
    expect: allowedOnlyFor(['nonMember']),
  },
]

/** Routes that only answer GET (`export const action = getOnly`): any POST is a French 405 for everyone, before any guard. */
const GET_ONLY_ROUTES = [
  '_index',
  'accessibilite',
  'mentions-legales',
  'connexion',
  'mot-de-passe-oublie',
  'invitation._index',
  'invitation.$token',
  'healthz',
  'api.account.keys',
  'compte.mot-de-passe',
  'cellules.$cellId.charte',
  'cellules.$cellId.membres',
  'cellules.$cellId.registre',
  'cellules.$cellId.journal.consultations',
  'cellules.$cellId.journal.export',
  'rejoindre.$invitationId',
] as const

function getOnlyPost(route: string): MatrixRow {
  const get = ROWS.find(row => row.route === route && row.method === 'GET')
  if (!get) throw new Error(`authorization matrix: no GET row for ${route}`)
  // An index route's action is reached with `?index` (without it, the parent's: the root's, also GET only).
  const path = route.endsWith('_index') ? (fixtures: MatrixFixtures) => `${get.path(fixtures)}?index` : get.path
  return { route, method: 'POST', label: 'GET only', path, body: () => ({ form: { champ: 'valeur' } }), rule: 'GET-only route (getOnly action): French 405', expect: everyone('method') }
}

export const MATRIX: readonly MatrixRow[] = [...ROWS, ...GET_ONLY_ROUTES.map(getOnlyPost)]

/**
 * The URL pattern of a flat route file (Remix v2): dots separate segments, `$name` is a parameter,
 * `$` alone a splat, `_index` the index, a leading `_` a pathless layout, a trailing `_` no nesting.
 */
export function routePatternOf(route: string): string {
  const segments = route
    .split('.')
    .filter(segment => segment !== '_index' && !segment.startsWith('_'))
    .map(segment => segment.replace(/_$/, ''))
    .map(segment => (segment === '$' ? '*' : segment.startsWith('$') ? `:${segment.slice(1)}` : segment))
  return `/${segments.join('/')}`
}

/** Row name in test output: `POST /api/cells/:cellId/charter [sign]`. */
export function rowName(row: MatrixRow): string {
  return `${row.method} ${routePatternOf(row.route)}${row.label ? ` [${row.label}]` : ''}`
}

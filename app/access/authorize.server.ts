import { redirect } from '@remix-run/node'
import { allowedActions, can, type Action } from '#charter/policy.ts'
import { type Actor, type Decision, type Resource } from '#charter/policy-types.ts'
import { type CharterRules } from '#charter/schema.ts'
import { findProfession } from '#charter/professions.ts'
import { type AuditAction } from '#journal/actions.ts'
import { appendAuditEvent, AuditWriteError } from '#db/journal/record.ts'
import { findCell, findCharterVersion, findMembership, latestSignedVersion, type Cell, type Membership } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { getRequestSession, type AuthSession, type AuthUser } from '#app/auth/session.server.ts'
import { tooManyAttempts } from '#app/auth/throttle.server.ts'
import { type Runtime } from '#app/runtime.server.ts'
import { HttpError, type ErrorBody } from './http-error.ts'
import { navigationFlags } from './navigation.ts'

/**
 * The one guard core (DESIGN §11, issue 10). Every loader and action goes through a wrapper of
 * `authorize()`: the session the route needs, the actor as the charter policy sees it, `can()`,
 * and the decision's journal event written in the same transaction (fail-closed). The shape of a
 * refusal is decided by the route kind (`/api/…` answers JSON 401; a page redirects to the login),
 * never by a flag the route must remember.
 */

/** What the Express server puts in Remix's load context (server/app.ts): the runtime, and the request's address and id. */
export type RequestContext = { runtime: Runtime; clientIp?: string | null; requestId?: string | null }

export type Principal = { session: AuthSession; user: AuthUser }

/**
 * What the access is recorded as. By default, reads get their own action (`cell.members.read`…)
 * and everything else `authz.granted` with the policy action in the detail; the resource key
 * is what "qui a consulté cette ressource" searches.
 */
export type AuditTarget = { action?: AuditAction; resource?: string; data?: Record<string, unknown> }

export type CellPrincipal = {
  actor: Actor
  userId: string
  sessionId: string
  cell: Cell
  membership: Membership | undefined
  /** The cell's current charter rules, which the policy applies (and the UI mirrors). */
  rules: CharterRules | undefined
  /** The journal event recording this access, for events that refer to it. */
  auditEventId: string
}

const READ_ACTIONS: Partial<Record<Action, { action: AuditAction; resource: string }>> = {
  'cell:home:read': { action: 'cell.read', resource: 'home' },
  'cell:members:read': { action: 'cell.members.read', resource: 'members' },
  'cell:roster:read': { action: 'cell.roster.read', resource: 'roster' },
  'cell:charter:read': { action: 'cell.charter.read', resource: 'charter' },
  'cell:keys:read': { action: 'cell.keys.read', resource: 'keys' },
  'cell:audit:read': { action: 'audit.timeline.read', resource: 'journal' },
  'platform:cells:list': { action: 'platform.cells.read', resource: 'cells' },
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A canonical UUID (the database refuses anything else with an error, not a miss). */
export function isUuid(value: string | undefined): value is string {
  return value !== undefined && UUID.test(value)
}

/** `kind:<uuid>` for a path parameter that is one, `kind:invalid` otherwise (never raw URL text in the journal). */
export function auditResourceKey(kind: 'member' | 'invitation' | 'situation', id: string | undefined): string {
  return id && UUID.test(id) ? `${kind}:${id.toLowerCase()}` : `${kind}:invalid`
}

export const AUDIT_UNAVAILABLE_MESSAGE = 'Le journal d’accès est momentanément indisponible : par précaution, l’accès est refusé. Réessayez dans un instant.'

/** `/api/…` resource routes answer JSON; everything else is a page (or its `.data` request). */
function isApiRequest(request: Request): boolean {
  return new URL(request.url).pathname.startsWith('/api/')
}

/**
 * For journal writes after the guard (an effect's event, the key fetch's): a failure refuses the
 * request with the same French 503 as the guard, never a 500 carrying internals.
 */
export async function failClosed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof AuditWriteError) throw new HttpError(503, AUDIT_UNAVAILABLE_MESSAGE)
    throw error
  }
}

function requestDetail(request: Request, context: RequestContext) {
  const url = new URL(request.url)
  return {
    // A proxy chain can make this long: the journal keeps the first 64 characters.
    ip: context.clientIp?.slice(0, 64) ?? null,
    userAgent: (request.headers.get('user-agent') ?? '').slice(0, 300) || null,
    requestId: context.requestId ?? null,
    // The path only: a query string may carry search terms.
    route: `${request.method} ${url.pathname}`.slice(0, 300),
  }
}

function toLogin(request: Request, step?: 'totp'): never {
  const url = new URL(request.url)
  const params = new URLSearchParams({ ...(step ? { etape: step } : {}), redirectTo: `${url.pathname}${url.search}` })
  throw redirect(`/connexion?${params}`)
}

/**
 * The session a route needs (rule 16 of DESIGN §9). `both-factors`: no session → login; password
 * only → second factor; no second factor enrolled yet → enrolment. `password`: the first factor is
 * enough (second-factor enrolment and verification). An API answers a French 401 instead.
 */
export async function requireSession({ request, context, need }: { request: Request; context: RequestContext; need: 'password' | 'both-factors' }): Promise<Principal> {
  const principal = await getRequestSession(context.runtime.db.db, request)
  const api = isApiRequest(request)
  if (!principal) {
    if (api) throw new HttpError(401, 'Votre session a expiré. Reconnectez-vous.')
    toLogin(request)
  }
  if (need === 'both-factors') {
    if (api && !principal.session.mfaVerified) throw new HttpError(401, 'Validez d’abord le code de double authentification.')
    if (!principal.user.totpEnabled) {
      const url = new URL(request.url)
      throw redirect(`/compte/double-authentification?${new URLSearchParams({ suite: `${url.pathname}${url.search}` })}`)
    }
    if (!principal.session.mfaVerified) toLogin(request, 'totp')
  }
  return principal
}

/** The actor as the charter policy sees it: session, second factor, membership, charter signature. */
async function loadActor(executor: Database, { principal, cell }: { principal: Principal; cell: Cell | undefined }) {
  // lucia already loaded the user with the session: no second query on every cell request.
  const { user } = principal
  const membership = cell ? await findMembership(executor, { cellId: cell.id, userId: user.id }) : undefined
  const signedVersion = cell && membership ? await latestSignedVersion(executor, { cellId: cell.id, userId: user.id }) : null
  const actor: Actor = {
    userId: user.id,
    platformRole: user.platformRole,
    secondFactor: principal.session.mfaVerified,
    professionCategory: findProfession(user.profession ?? '')?.category ?? 'none',
    membership:
      cell && membership
        ? {
            cellId: cell.id,
            role: membership.role,
            status: membership.status,
            signedCurrentCharter: signedVersion === cell.currentCharterVersion,
            signedEarlierCharter: signedVersion !== null && signedVersion < cell.currentCharterVersion,
            needsReadmission: user.needsReadmissionSince !== null && user.needsReadmissionSince > membership.keysConfirmedAt,
          }
        : null,
  }
  return { actor, userId: user.id, sessionId: principal.session.id, membership }
}

type Loaded = Awaited<ReturnType<typeof loadActor>>

/** The resource a wrapper asks about, and how to find it inside the decision's transaction. */
type Scope =
  | { kind: 'cell'; cellId: string; resource?: (tx: Database, cell: Cell) => Promise<Resource | undefined> | Resource | undefined }
  | { kind: 'platform' }
  | { kind: 'signed-in'; audit: AuditTarget & { action: AuditAction } }

type Authorized = { loaded: Loaded; cell: Cell | undefined; rules: CharterRules | undefined; auditEventId: string }

/**
 * A member refused one page keeps their cell's navigation (issue 12, item 1), with the entries the
 * policy lets them open. Someone outside the cell, removed from it or only invited gets none: the
 * refusal must not tell them the cell's name.
 */
function refusedPageNavigation({ loaded, cell, rules }: { loaded: Loaded; cell: Cell | undefined; rules: CharterRules | undefined }): ErrorBody['cellNavigation'] {
  const status = loaded.membership?.status
  if (!cell || (status !== 'active' && status !== 'suspended')) return undefined
  const permissions = new Set(allowedActions({ actor: loaded.actor, resource: { kind: 'cell', cellId: cell.id }, rules }))
  return { cellId: cell.id, cellName: cell.name, allowed: navigationFlags(permissions) }
}

function recordedAs({ action, target, allowed }: { action: Action | undefined; target: AuditTarget | undefined; allowed: boolean }) {
  const defaults = action ? READ_ACTIONS[action] : undefined
  return {
    action: allowed ? (target?.action ?? defaults?.action ?? 'authz.granted') : ('authz.denied' as const),
    resource: target?.resource ?? defaults?.resource ?? null,
  }
}

/**
 * The core: session, actor, decision, journal event in one transaction, principal back. Nothing
 * is returned before the event is committed; if it cannot be written, a French 503 and no content.
 * A missing cell, or a situation the resource loader does not find, is a 404 for everyone.
 */
async function authorize({ request, context, action, scope, audit }: { request: Request; context: RequestContext; action?: Action; scope: Scope; audit?: AuditTarget }): Promise<Authorized> {
  if (scope.kind === 'cell' && !UUID.test(scope.cellId)) throw new HttpError(404, 'Cellule introuvable.')
  const session = await requireSession({ request, context, need: 'both-factors' })
  const detail = requestDetail(request, context)
  type Outcome = { decision: Decision; notFound?: string; authorized?: Authorized; cellId?: string; cellNavigation?: ErrorBody['cellNavigation'] }
  let outcome: Outcome
  try {
    outcome = await context.runtime.db.db.transaction(async (transaction): Promise<Outcome> => {
      const tx = transaction as unknown as Database
      if (scope.kind === 'signed-in') {
        const loaded = await loadActor(tx, { principal: session, cell: undefined })
        const auditEventId = await appendAuditEvent(tx, {
          action: scope.audit.action,
          outcome: 'success',
          cellId: null,
          detail: { actorUserId: loaded.userId, ...detail, resource: scope.audit.resource ?? null, ...(scope.audit.data ? { data: scope.audit.data } : {}) },
        })
        return { decision: { allowed: true }, authorized: { loaded, cell: undefined, rules: undefined, auditEventId } }
      }
      const cell = scope.kind === 'cell' ? await findCell(tx, scope.cellId.toLowerCase()) : undefined
      if (scope.kind === 'cell' && !cell) {
        // Probing cell ids is itself worth a line in the platform's log.
        await appendAuditEvent(tx, {
          action: 'authz.denied',
          outcome: 'denied',
          cellId: null,
          detail: { actorUserId: session.user.id, ...detail, policyAction: action ?? null, resource: `cell:${scope.cellId.toLowerCase()}`, reason: 'Cellule introuvable.' },
        })
        return { decision: { allowed: false, reason: 'wrong_resource', message: 'Cellule introuvable.' }, notFound: 'Cellule introuvable.' }
      }
      const loaded = await loadActor(tx, { principal: session, cell })
      // The cell's own charter may tighten the rules the policy applies.
      const charter = cell ? await findCharterVersion(tx, { cellId: cell.id, version: cell.currentCharterVersion }) : undefined
      const rules = charter?.content.rules
      const resource: Resource | undefined = cell && scope.kind === 'cell' ? (scope.resource ? await scope.resource(tx, cell) : { kind: 'cell', cellId: cell.id }) : { kind: 'platform' }
      if (!resource) return { decision: { allowed: false, reason: 'wrong_resource', message: 'Ressource introuvable.' }, notFound: 'Ressource introuvable dans cette cellule.' }
      const decision = action ? can({ actor: loaded.actor, action, resource, rules }) : ({ allowed: true } as const)
      const recorded = recordedAs({ action, target: audit, allowed: decision.allowed })
      const auditEventId = await appendAuditEvent(tx, {
        action: recorded.action,
        outcome: decision.allowed ? 'success' : 'denied',
        cellId: cell?.id ?? null,
        detail: {
          actorUserId: loaded.userId,
          actorRole: loaded.membership?.role ?? (loaded.actor.platformRole === 'platform_admin' ? 'platform_admin' : cell ? null : loaded.actor.platformRole),
          ...detail,
          policyAction: action ?? null,
          resource: recorded.resource,
          ...(decision.allowed ? {} : { reason: decision.message }),
          ...(audit?.data ? { data: audit.data } : {}),
        },
      })
      return { decision, cellId: cell?.id, cellNavigation: decision.allowed ? undefined : refusedPageNavigation({ loaded, cell, rules }), authorized: { loaded, cell, rules, auditEventId } }
    })
  } catch (error) {
    if (error instanceof Response) throw error
    if (error instanceof AuditWriteError) throw new HttpError(503, AUDIT_UNAVAILABLE_MESSAGE)
    throw error
  }
  if (outcome.notFound) throw new HttpError(404, outcome.notFound)
  if (!outcome.decision.allowed) {
    throw new HttpError(403, outcome.decision.message, {
      reason: outcome.decision.reason,
      ...(outcome.cellId ? { cellId: outcome.cellId } : {}),
      ...(outcome.cellNavigation ? { cellNavigation: outcome.cellNavigation } : {}),
    })
  }
  if (!outcome.authorized) throw new HttpError(403, 'Accès refusé.')
  return outcome.authorized
}

/**
 * Every cell loader and action goes through here: the charter policy decides, on the server
 * (the UI only mirrors it), and the decision is journaled.
 */
export async function requireCellPermission({ request, context, cellId, action, resource, audit }: { request: Request; context: RequestContext; cellId: string; action: Action; resource?: Resource; audit?: AuditTarget }): Promise<CellPrincipal> {
  const { loaded, cell, rules, auditEventId } = await authorize({ request, context, action, audit, scope: { kind: 'cell', cellId, resource: resource ? () => resource : undefined } })
  return { ...loaded, cell: cell as Cell, rules, auditEventId }
}

/** The policy facts of one situation, read inside the decision's transaction; undefined if it is not in the cell. */
export type SituationFacts = (tx: Database, cell: Cell) => Promise<Extract<Resource, { kind: 'situation' }> | undefined>

/**
 * A situation of a cell (`situation:*` actions): the resource carries participants, legal basis,
 * objection and break-glass grants, which the route's `facts` loader reads from the database in the
 * same transaction as the decision. An unknown situation is a 404, journaled like a refusal.
 */
export async function requireSituationPermission({ request, context, cellId, situationId, action, facts, audit }: { request: Request; context: RequestContext; cellId: string; situationId: string; action: Action; facts: SituationFacts; audit?: AuditTarget }): Promise<CellPrincipal> {
  if (!UUID.test(situationId)) throw new HttpError(404, 'Situation introuvable.')
  const { loaded, cell, rules, auditEventId } = await authorize({
    request,
    context,
    action,
    audit: { resource: auditResourceKey('situation', situationId), ...audit },
    scope: { kind: 'cell', cellId, resource: facts },
  })
  return { ...loaded, cell: cell as Cell, rules, auditEventId }
}

/** Platform actions (creating cells): platform administrators, second factor done; journaled like cell actions. */
export async function requirePlatformPermission({ request, context, action, audit }: { request: Request; context: RequestContext; action: Action; audit?: AuditTarget }) {
  const { loaded, auditEventId } = await authorize({ request, context, action, audit, scope: { kind: 'platform' } })
  return { ...loaded, auditEventId }
}

/**
 * The signed-in user for pages that are not about one cell yet (my cells, invitation
 * acceptance). What they read is recorded as a platform event (`audit.action`).
 */
export async function requireSignedInActor({ request, context, audit }: { request: Request; context: RequestContext; audit: AuditTarget & { action: AuditAction } }) {
  const { loaded, auditEventId } = await authorize({ request, context, audit, scope: { kind: 'signed-in', audit } })
  return { ...loaded, auditEventId }
}

/**
 * A public action of an anonymous caller (the referring doctor's saisine, DESIGN §8): no session,
 * a throttle per client address, and the work and its journal event in one transaction, so an
 * action that is not journaled did not happen (fail-closed, French 503). Too many attempts: 429.
 */
export async function withPublicAction<T>({
  request,
  context,
  cellId,
  audit,
  work,
}: {
  request: Request
  context: RequestContext
  cellId: string | null
  audit: AuditTarget & { action: AuditAction }
  work: (tx: Database) => Promise<T>
}): Promise<T> {
  const limiter = context.runtime.throttles.publicAction
  const key = [`public:${context.clientIp ?? 'unknown'}`]
  // Every public request counts, successful or not: a flood is slowed whatever it sends.
  const wait = await limiter.attempt(key)
  if (wait > 0) throw tooManyAttempts(wait)
  const detail = requestDetail(request, context)
  try {
    return await context.runtime.db.db.transaction(async transaction => {
      const tx = transaction as unknown as Database
      const result = await work(tx)
      await appendAuditEvent(tx, {
        action: audit.action,
        outcome: 'success',
        cellId,
        detail: { actorUserId: null, ...detail, resource: audit.resource ?? null, ...(audit.data ? { data: audit.data } : {}) },
      })
      return result
    })
  } catch (error) {
    if (error instanceof Response) throw error
    if (error instanceof AuditWriteError) throw new HttpError(503, AUDIT_UNAVAILABLE_MESSAGE)
    throw error
  }
}

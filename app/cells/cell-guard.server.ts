import { redirect } from '@remix-run/node'
import { can, type Action } from '#charter/policy.ts'
import { type Actor, type Decision, type Resource } from '#charter/policy-types.ts'
import { type Charter, type CharterRules } from '#charter/schema.ts'
import { findProfession } from '#charter/professions.ts'
import { type AuditAction } from '#journal/actions.ts'
import { appendAuditEvent, AuditWriteError } from '#db/journal/record.ts'
import { findCell, findCharterVersion, findMembership, latestSignedVersion, type Cell, type Membership } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { getRequestSession } from '#app/auth/session.server.ts'
import { database } from '#app/utils/db.server.ts'
import { jsonError } from '#app/utils/http.server.ts'

type Mode = 'page' | 'api'

/** What the Express server puts in Remix's load context (server/app.ts); all optional in tests. */
export type RequestContext = { clientIp?: string | null; requestId?: string | null } | undefined

export type CellPrincipal = {
  actor: Actor
  userId: string
  sessionId: string
  cell: Cell
  membership: Membership | undefined
  /** The cell's current charter rules, which the policy applies (and the UI mirrors). */
  rules: CharterRules | undefined
  /** The audit event recording this access, for events that refer to it. */
  auditEventId: string
}

/**
 * What the access is recorded as. By default, reads get their own action (`cell.members.read`…)
 * and everything else `authz.granted` with the policy action in the detail; the resource key
 * is what "qui a consulté cette ressource" searches.
 */
export type AuditTarget = { action?: AuditAction; resource?: string; data?: Record<string, unknown> }

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
export function auditResourceKey(kind: 'member' | 'invitation', id: string | undefined): string {
  return id && UUID.test(id) ? `${kind}:${id.toLowerCase()}` : `${kind}:invalid`
}

export const AUDIT_UNAVAILABLE_MESSAGE = 'Le journal d’accès est momentanément indisponible : par précaution, l’accès est refusé. Réessayez dans un instant.'

/**
 * For journal writes after the guard (an effect's event, the key fetch's): a failure refuses the
 * request with the same French 503 as the guard, never a 500 carrying internals.
 */
export async function failClosed<T>({ mode, work }: { mode: Mode; work: () => Promise<T> }): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof AuditWriteError) refuse({ mode, status: 503, message: AUDIT_UNAVAILABLE_MESSAGE })
    throw error
  }
}

function refuse({ mode, status, message }: { mode: Mode; status: number; message: string }): never {
  if (mode === 'api') throw jsonError(status, message)
  throw new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

function requestDetail(request: Request, context: RequestContext) {
  const url = new URL(request.url)
  return {
    // A proxy chain can make this long: the journal keeps the first 64 characters.
    ip: context?.clientIp?.slice(0, 64) ?? null,
    userAgent: (request.headers.get('user-agent') ?? '').slice(0, 300) || null,
    requestId: context?.requestId ?? null,
    // The path only: a query string may carry search terms.
    route: `${request.method} ${url.pathname}`.slice(0, 300),
  }
}

/** The signed-in session, or the way to get one (login, second factor). Outside any transaction. */
async function loadSession({ request, mode }: { request: Request; mode: Mode }) {
  const principal = await getRequestSession(request)
  if (!principal) {
    if (mode === 'api') throw jsonError(401, 'Votre session a expiré. Reconnectez-vous.')
    const url = new URL(request.url)
    throw redirect(`/connexion?${new URLSearchParams({ redirectTo: url.pathname + url.search })}`)
  }
  if (mode === 'page' && !principal.user.totpEnabled) throw redirect('/compte/double-authentification')
  return principal
}

type SessionPrincipal = NonNullable<Awaited<ReturnType<typeof getRequestSession>>>

/** The actor as the charter policy sees it: session, second factor, membership, charter signature. */
async function loadActor(executor: Database, { principal, cell }: { principal: SessionPrincipal; cell: Cell | undefined }) {
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
            needsReadmission: user.needsReadmissionSince !== null && user.needsReadmissionSince > membership.keysConfirmedAt,
          }
        : null,
  }
  return { actor, userId: user.id, sessionId: principal.session.id, membership }
}

/**
 * Runs the decision and writes its audit event in one transaction, allowed or denied
 * (DESIGN §11, fail-closed): if the event cannot be written, the request is refused with a
 * 503 and no content. Nothing is returned to the caller before the event is committed.
 */
async function decideAndRecord<T extends { decision: Decision }>({
  mode,
  decide,
}: {
  mode: Mode
  decide: (tx: Database) => Promise<T>
}): Promise<T> {
  try {
    return await database().transaction(async (tx) => decide(tx as unknown as Database))
  } catch (error) {
    if (error instanceof Response) throw error
    if (error instanceof AuditWriteError) refuse({ mode, status: 503, message: AUDIT_UNAVAILABLE_MESSAGE })
    throw error
  }
}

function auditFor({ action, target, allowed }: { action: Action; target: AuditTarget | undefined; allowed: boolean }) {
  const defaults = READ_ACTIONS[action]
  return {
    action: allowed ? (target?.action ?? defaults?.action ?? 'authz.granted') : ('authz.denied' as const),
    resource: target?.resource ?? defaults?.resource ?? null,
  }
}

/**
 * Every cell loader and action goes through here: the charter policy decides, on the server
 * (the UI only mirrors it), and the decision is audited. A missing cell is a 404 for everyone.
 */
export async function requireCellPermission({
  request,
  context,
  cellId,
  action,
  mode = 'page',
  resource,
  audit,
}: {
  request: Request
  context?: RequestContext
  cellId: string
  action: Action
  mode?: Mode
  resource?: Resource
  audit?: AuditTarget
}): Promise<CellPrincipal> {
  if (!UUID.test(cellId)) refuse({ mode, status: 404, message: 'Cellule introuvable.' })
  const session = await loadSession({ request, mode })
  if (mode === 'page' && !session.session.mfaVerified) {
    const url = new URL(request.url)
    throw redirect(`/connexion?${new URLSearchParams({ etape: 'totp', redirectTo: url.pathname })}`)
  }
  const detail = requestDetail(request, context)
  const outcome = await decideAndRecord({
    mode,
    decide: async (tx) => {
      const cell = await findCell(tx, cellId.toLowerCase())
      if (!cell) {
        // Probing cell ids is itself worth a line in the platform's log.
        await appendAuditEvent(tx, {
          action: 'authz.denied',
          outcome: 'denied',
          cellId: null,
          detail: { actorUserId: session.user.id, ...detail, policyAction: action, resource: `cell:${cellId.toLowerCase()}`, reason: 'Cellule introuvable.' },
        })
        return { decision: { allowed: false, message: 'Cellule introuvable.' } as Decision, notFound: true as const }
      }
      const loaded = await loadActor(tx, { principal: session, cell })
      // The cell's own charter may tighten the rules the policy applies.
      const charter = await findCharterVersion(tx, { cellId: cell.id, version: cell.currentCharterVersion })
      const rules = (charter?.content as Charter | undefined)?.rules
      const decision = can({ actor: loaded.actor, action, resource: resource ?? { kind: 'cell', cellId: cell.id }, rules })
      const recorded = auditFor({ action, target: audit, allowed: decision.allowed })
      const auditEventId = await appendAuditEvent(tx, {
        action: recorded.action,
        outcome: decision.allowed ? 'success' : 'denied',
        cellId: cell.id,
        detail: {
          actorUserId: loaded.userId,
          actorRole: loaded.membership?.role ?? (loaded.actor.platformRole === 'platform_admin' ? 'platform_admin' : null),
          ...detail,
          policyAction: action,
          resource: recorded.resource,
          ...(decision.allowed ? {} : { reason: decision.message }),
          ...(audit?.data ? { data: audit.data } : {}),
        },
      })
      return { decision, notFound: false as const, principal: { ...loaded, cell, rules, auditEventId } }
    },
  })
  if (outcome.notFound) refuse({ mode, status: 404, message: 'Cellule introuvable.' })
  if (!outcome.decision.allowed || !outcome.principal) refuse({ mode, status: 403, message: outcome.decision.allowed ? 'Accès refusé.' : outcome.decision.message })
  return outcome.principal
}

/** Platform actions (creating cells): platform administrators, second factor done; audited like cell actions. */
export async function requirePlatformPermission({ request, context, action, mode = 'page', audit }: { request: Request; context?: RequestContext; action: Action; mode?: Mode; audit?: AuditTarget }) {
  const session = await loadSession({ request, mode })
  const detail = requestDetail(request, context)
  const outcome = await decideAndRecord({
    mode,
    decide: async (tx) => {
      const loaded = await loadActor(tx, { principal: session, cell: undefined })
      const decision = can({ actor: loaded.actor, action, resource: { kind: 'platform' } })
      const recorded = auditFor({ action, target: audit, allowed: decision.allowed })
      const auditEventId = await appendAuditEvent(tx, {
        action: recorded.action,
        outcome: decision.allowed ? 'success' : 'denied',
        cellId: null,
        detail: { actorUserId: loaded.userId, actorRole: loaded.actor.platformRole, ...detail, policyAction: action, resource: recorded.resource, ...(decision.allowed ? {} : { reason: decision.message }) },
      })
      return { decision, loaded: { ...loaded, auditEventId } }
    },
  })
  if (!outcome.decision.allowed) refuse({ mode, status: 403, message: outcome.decision.message })
  return outcome.loaded
}

/**
 * The signed-in user for pages that are not about one cell yet (my cells, invitation
 * acceptance). What they read is recorded as a platform event (`audit.action`).
 */
export async function requireSignedInActor({ request, context, mode = 'page', audit }: { request: Request; context?: RequestContext; mode?: Mode; audit: AuditTarget & { action: AuditAction } }) {
  const session = await loadSession({ request, mode })
  if (!session.session.mfaVerified) {
    if (mode === 'api') throw jsonError(401, 'Validez d’abord le code de double authentification.')
    throw redirect('/connexion?etape=totp')
  }
  const detail = requestDetail(request, context)
  const outcome = await decideAndRecord({
    mode,
    decide: async (tx) => {
      const loaded = await loadActor(tx, { principal: session, cell: undefined })
      const auditEventId = await appendAuditEvent(tx, {
        action: audit.action,
        outcome: 'success',
        cellId: null,
        detail: { actorUserId: loaded.userId, ...detail, resource: audit.resource ?? null, ...(audit.data ? { data: audit.data } : {}) },
      })
      return { decision: { allowed: true } as Decision, loaded: { ...loaded, auditEventId } }
    },
  })
  return outcome.loaded
}

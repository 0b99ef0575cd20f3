import { redirect } from '@remix-run/node'
import { can, type Action, type Actor, type Resource } from '#charter/policy.ts'
import { type Charter, type CharterRules } from '#charter/schema.ts'
import { findProfession } from '#charter/professions.ts'
import { findCell, findCharterVersion, findMembership, latestSignedVersion, type Cell, type Membership } from '#db/cells.ts'
import { getRequestSession } from '#app/auth/session.server.ts'
import { database } from '#app/utils/db.server.ts'
import { jsonError } from '#app/utils/http.server.ts'

type Mode = 'page' | 'api'

export type CellPrincipal = {
  actor: Actor
  userId: string
  sessionId: string
  cell: Cell
  membership: Membership | undefined
  /** The cell's current charter rules, which the policy applies (and the UI mirrors). */
  rules: CharterRules | undefined
}

function refuse({ mode, status, message }: { mode: Mode; status: number; message: string }): never {
  if (mode === 'api') throw jsonError(status, message)
  throw new Response(message, { status })
}

/** The actor as the charter policy sees it: session, second factor, membership, charter signature. */
async function loadActor({ request, cellId, mode }: { request: Request; cellId: string | null; mode: Mode }) {
  const principal = await getRequestSession(request)
  if (!principal) {
    if (mode === 'api') throw jsonError(401, 'Votre session a expiré. Reconnectez-vous.')
    const url = new URL(request.url)
    throw redirect(`/connexion?${new URLSearchParams({ redirectTo: url.pathname + url.search })}`)
  }
  if (mode === 'page' && !principal.user.totpEnabled) throw redirect('/compte/double-authentification')
  const db = database()
  // lucia already loaded the user with the session: no second query on every cell request.
  const { user } = principal
  const cell = cellId ? await findCell(db, cellId) : undefined
  const membership = cell ? await findMembership(db, { cellId: cell.id, userId: user.id }) : undefined
  const signedVersion = cell && membership ? await latestSignedVersion(db, { cellId: cell.id, userId: user.id }) : null
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
  return { actor, userId: user.id, sessionId: principal.session.id, cell, membership }
}

/**
 * Every cell loader and action goes through here: the charter policy decides, on the server
 * (the UI only mirrors it). A missing cell is a 404 for everyone.
 */
export async function requireCellPermission({
  request,
  cellId,
  action,
  mode = 'page',
  resource,
}: {
  request: Request
  cellId: string
  action: Action
  mode?: Mode
  resource?: Resource
}): Promise<CellPrincipal> {
  if (!/^[0-9a-f-]{36}$/i.test(cellId)) refuse({ mode, status: 404, message: 'Cellule introuvable.' })
  const loaded = await loadActor({ request, cellId, mode })
  if (!loaded.cell) refuse({ mode, status: 404, message: 'Cellule introuvable.' })
  if (mode === 'page' && !loaded.actor.secondFactor) {
    const url = new URL(request.url)
    throw redirect(`/connexion?${new URLSearchParams({ etape: 'totp', redirectTo: url.pathname })}`)
  }
  // The cell's own charter may tighten the rules the policy applies.
  const charter = await findCharterVersion(database(), { cellId: loaded.cell.id, version: loaded.cell.currentCharterVersion })
  const rules = (charter?.content as Charter | undefined)?.rules
  const decision = can({ actor: loaded.actor, action, resource: resource ?? { kind: 'cell', cellId: loaded.cell.id }, rules })
  if (!decision.allowed) refuse({ mode, status: 403, message: decision.message })
  return { ...loaded, cell: loaded.cell, rules }
}

/** Platform actions (creating cells): platform administrators, second factor done. */
export async function requirePlatformPermission({ request, action, mode = 'page' }: { request: Request; action: Action; mode?: Mode }) {
  const loaded = await loadActor({ request, cellId: null, mode })
  const decision = can({ actor: loaded.actor, action, resource: { kind: 'platform' } })
  if (!decision.allowed) refuse({ mode, status: 403, message: decision.message })
  return loaded
}

/** The signed-in user for pages that are not about one cell yet (my cells, invitation acceptance). */
export async function requireSignedInActor({ request, mode = 'page' }: { request: Request; mode?: Mode }) {
  const loaded = await loadActor({ request, cellId: null, mode })
  if (!loaded.actor.secondFactor) {
    if (mode === 'api') throw jsonError(401, 'Validez d’abord le code de double authentification.')
    throw redirect('/connexion?etape=totp')
  }
  return loaded
}

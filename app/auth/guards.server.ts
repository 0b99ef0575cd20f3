import { redirect } from '@remix-run/node'
import { jsonError } from '#app/utils/http.server.ts'
import { getRequestSession, type AuthSession, type AuthUser } from './session.server.ts'

export type Principal = { session: AuthSession; user: AuthUser }

function loginRedirect(request: Request, step?: 'totp'): never {
  const url = new URL(request.url)
  const params = new URLSearchParams({ redirectTo: `${url.pathname}${url.search}` })
  if (step) params.set('etape', step)
  throw redirect(`/connexion?${params}`)
}

/**
 * A page reachable only after both factors (rule 16 of DESIGN §9): no session → login; password only
 * → second factor; no second factor enrolled yet → enrolment.
 */
export async function requireUser(request: Request): Promise<Principal> {
  const principal = await getRequestSession(request)
  if (!principal) loginRedirect(request)
  if (!principal.user.totpEnabled) throw redirect('/compte/double-authentification')
  if (!principal.session.mfaVerified) loginRedirect(request, 'totp')
  return principal
}

/** The first factor is enough: second-factor enrolment and verification. */
export async function requirePasswordSession(request: Request): Promise<Principal> {
  const principal = await getRequestSession(request)
  if (!principal) loginRedirect(request)
  return principal
}

/** API variant: a JSON 401 instead of a redirect. */
export async function requireApiSession(request: Request, { secondFactor }: { secondFactor: boolean }): Promise<Principal> {
  const principal = await getRequestSession(request)
  if (!principal) throw jsonError(401, 'Votre session a expiré. Reconnectez-vous.')
  if (secondFactor && !principal.session.mfaVerified) throw jsonError(401, 'Validez d’abord le code de double authentification.')
  return principal
}

export async function requirePlatformAdmin(request: Request): Promise<Principal> {
  const principal = await requireUser(request)
  if (principal.user.platformRole !== 'platform_admin') throw new Response('Accès réservé à l’administration de la plateforme', { status: 403 })
  return principal
}

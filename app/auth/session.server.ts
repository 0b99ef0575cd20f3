import { DrizzlePostgreSQLAdapter } from '@lucia-auth/adapter-drizzle'
import { and, desc, eq, gt, ne } from 'drizzle-orm'
import { Lucia, TimeSpan } from 'lucia'
import { type Database } from '#db/database.ts'
import { sessions, users } from '#db/schema.ts'
import { hashToken, newToken } from '#db/tokens.ts'

export const SESSION_IDLE_MINUTES = 15
export const SESSION_ABSOLUTE_HOURS = 12
/** Over plain http (the embedded demo, tests); over https the `__Host-` name, see sessionCookieName(). */
export const SESSION_COOKIE = 'cellule_session'

/**
 * With an https PUBLIC_ORIGIN the cookie is `__Host-cellule_session`: browsers then accept it only
 * with Secure, Path=/ and no Domain, so neither a sibling subdomain nor a plain-http page can plant
 * or overwrite it.
 */
export function sessionCookieName(): string {
  return secureCookies() ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE
}

type SessionRow = typeof sessions.$inferSelect
type UserRow = typeof users.$inferSelect

function createLucia(db: Database) {
  // The adapter's generic types want a concrete driver; every PgDatabase works at run time.
  const adapter = new DrizzlePostgreSQLAdapter(db as never, sessions, users)
  return new Lucia(adapter, {
    sessionExpiresIn: new TimeSpan(SESSION_IDLE_MINUTES, 'm'),
    sessionCookie: { name: sessionCookieName(), attributes: { secure: secureCookies(), sameSite: 'lax' } },
    getSessionAttributes: attributes => ({
      mfaVerified: attributes.mfaVerified,
      absoluteExpiresAt: new Date(attributes.absoluteExpiresAt),
      userAgent: attributes.userAgent,
    }),
    getUserAttributes: attributes => ({
      email: attributes.email,
      displayName: attributes.displayName,
      profession: attributes.profession,
      platformRole: attributes.platformRole,
      totpEnabled: attributes.totpEnabledAt !== null,
      needsReadmission: attributes.needsReadmissionSince !== null,
      needsReadmissionSince: attributes.needsReadmissionSince ? new Date(attributes.needsReadmissionSince) : null,
    }),
  })
}

declare module 'lucia' {
  interface Register {
    Lucia: ReturnType<typeof createLucia>
    UserId: string
    DatabaseSessionAttributes: Pick<SessionRow, 'mfaVerified' | 'absoluteExpiresAt' | 'userAgent'>
    DatabaseUserAttributes: Pick<UserRow, 'email' | 'displayName' | 'profession' | 'platformRole' | 'totpEnabledAt' | 'needsReadmissionSince'>
  }
}

function secureCookies(): boolean {
  return (process.env.PUBLIC_ORIGIN ?? '').startsWith('https:')
}

/**
 * A browser-session cookie (no Max-Age, no Expires): closing the browser forgets it, and the server
 * decides expiry (idle and absolute). lucia 3 always sets a Max-Age, so the header is written here.
 */
function sessionCookieHeader(token: string): string {
  return [`${sessionCookieName()}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', ...(secureCookies() ? ['Secure'] : [])].join('; ')
}

// One instance per database handle (the runtime's), built on first use.
const cache = new WeakMap<Database, ReturnType<typeof createLucia>>()
export function lucia(db: Database) {
  let instance = cache.get(db)
  if (!instance) {
    instance = createLucia(db)
    cache.set(db, instance)
  }
  return instance
}

export type AuthSession = NonNullable<Awaited<ReturnType<ReturnType<typeof createLucia>['validateSession']>>['session']>
export type AuthUser = NonNullable<Awaited<ReturnType<ReturnType<typeof createLucia>['validateSession']>>['user']>

/** The cookie carries a random token; the session id stored in the database is its SHA-256. */
export async function createUserSession(db: Database, { userId, mfaVerified, userAgent }: { userId: string; mfaVerified: boolean; userAgent: string }) {
  const token = newToken()
  const absoluteExpiresAt = new Date(Date.now() + SESSION_ABSOLUTE_HOURS * 3_600_000)
  await lucia(db).createSession(userId, { mfaVerified, absoluteExpiresAt, userAgent: userAgent.slice(0, 200) }, { sessionId: hashToken(token) })
  return { token, cookie: sessionCookieHeader(token) }
}

export function blankSessionCookie(db: Database): string {
  return lucia(db).createBlankSessionCookie().serialize()
}

/**
 * A Cookie header that does not decode (`cellule_session=%E0%A4%A`: lucia's parser throws URIError)
 * is no session, like a missing one, rather than a 500 and an error line per request.
 */
function readToken(db: Database, request: Request): string | null {
  try {
    return lucia(db).readSessionCookie(request.headers.get('cookie') ?? '')
  } catch {
    return null
  }
}

/** The session of the request, or null (expired idle or absolute sessions are deleted). */
export async function getRequestSession(db: Database, request: Request): Promise<{ session: AuthSession; user: AuthUser } | null> {
  const token = readToken(db, request)
  if (!token) return null
  const { session, user } = await lucia(db).validateSession(hashToken(token))
  if (!session || !user) return null
  if (session.absoluteExpiresAt.getTime() <= Date.now()) {
    await lucia(db).invalidateSession(session.id)
    return null
  }
  return { session, user }
}

/** After the second factor: a new session id (no fixation across the privilege change), same 12 h cap. */
export async function upgradeSessionAfterSecondFactor(db: Database, { session, request }: { session: AuthSession; request: Request }) {
  const token = newToken()
  await lucia(db).createSession(
    session.userId,
    { mfaVerified: true, absoluteExpiresAt: session.absoluteExpiresAt, userAgent: (request.headers.get('user-agent') ?? '').slice(0, 200) },
    { sessionId: hashToken(token) },
  )
  await lucia(db).invalidateSession(session.id)
  return { cookie: sessionCookieHeader(token) }
}

export async function revokeSession(db: Database, sessionId: string) {
  await lucia(db).invalidateSession(sessionId)
}

/** Revokes every session of the user; returns how many were active. */
export async function revokeAllSessions(db: Pick<Database, 'delete'>, userId: string): Promise<number> {
  const removed = await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id })
  return removed.length
}

export async function listActiveSessions(db: Database, userId: string) {
  return db
    .select({ id: sessions.id, createdAt: sessions.createdAt, expiresAt: sessions.expiresAt, userAgent: sessions.userAgent, mfaVerified: sessions.mfaVerified })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, new Date()), gt(sessions.absoluteExpiresAt, new Date())))
    .orderBy(desc(sessions.createdAt))
}

/** Revokes one of the user's own sessions (never another user's). */
export async function revokeOwnSession(db: Database, { userId, sessionId }: { userId: string; sessionId: string }): Promise<boolean> {
  const removed = await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), eq(sessions.id, sessionId)))
    .returning({ id: sessions.id })
  return removed.length === 1
}

export async function revokeOtherSessions(db: Database, { userId, keepSessionId }: { userId: string; keepSessionId: string }) {
  await db.delete(sessions).where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId)))
}

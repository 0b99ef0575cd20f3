import { DrizzlePostgreSQLAdapter } from '@lucia-auth/adapter-drizzle'
import { and, desc, eq, gt, ne } from 'drizzle-orm'
import { Lucia, TimeSpan } from 'lucia'
import { type Database } from '#db/database.ts'
import { sessions, users } from '#db/schema.ts'
import { deleteSession, findSessionForValidation, PLATFORM_SESSION_LIMITS, recordSessionActivity, type SessionLimits, type SessionUserRow } from '#db/sessions.ts'
import { hashToken, newToken } from '#db/tokens.ts'

/** The platform's limits; a cell's charter may tighten them for its members (rules.idleTimeoutMinutes, rules.absoluteSessionHours). */
export const SESSION_IDLE_MINUTES = PLATFORM_SESSION_LIMITS.idleTimeoutMinutes
export const SESSION_ABSOLUTE_HOURS = PLATFORM_SESSION_LIMITS.absoluteSessionHours
/** Activity moves the idle deadline; written at most once a minute per session when nothing else changes. */
const ACTIVITY_WRITE_MS = 60_000
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

/**
 * lucia creates sessions, reads the cookie and deletes sessions; validation is ours (decision 018):
 * lucia 3 has one idle span for every session, and a charter tightens it per user.
 */
function createLucia(db: Database) {
  // The adapter's generic types want a concrete driver; every PgDatabase works at run time.
  const adapter = new DrizzlePostgreSQLAdapter(db as never, sessions, users)
  return new Lucia(adapter, {
    sessionExpiresIn: new TimeSpan(SESSION_IDLE_MINUTES, 'm'),
    sessionCookie: { name: sessionCookieName(), attributes: { secure: secureCookies(), sameSite: 'lax' } },
  })
}

declare module 'lucia' {
  interface Register {
    Lucia: ReturnType<typeof createLucia>
    UserId: string
    DatabaseSessionAttributes: Pick<SessionRow, 'mfaVerified' | 'absoluteExpiresAt' | 'userAgent' | 'lastActivityAt'>
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

export type AuthSession = {
  id: string
  userId: string
  /** The idle deadline: the last activity plus the effective idle limit, never past the absolute one. */
  expiresAt: Date
  /** 12 h after login, or sooner when one of the user's charters says so. */
  absoluteExpiresAt: Date
  mfaVerified: boolean
  userAgent: string
  /** The strictest limits among the current charters of the user's cells (the platform's otherwise). */
  limits: SessionLimits
}

function toAuthUser(user: SessionUserRow) {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    profession: user.profession,
    platformRole: user.platformRole,
    totpEnabled: user.totpEnabledAt !== null,
    needsReadmission: user.needsReadmissionSince !== null,
    needsReadmissionSince: user.needsReadmissionSince,
  }
}

export type AuthUser = ReturnType<typeof toAuthUser>

/** The cookie carries a random token; the session id stored in the database is its SHA-256. */
export async function createUserSession(db: Database, { userId, mfaVerified, userAgent }: { userId: string; mfaVerified: boolean; userAgent: string }) {
  const token = newToken()
  const now = Date.now()
  const absoluteExpiresAt = new Date(now + SESSION_ABSOLUTE_HOURS * 3_600_000)
  await lucia(db).createSession(userId, { mfaVerified, absoluteExpiresAt, userAgent: userAgent.slice(0, 200), lastActivityAt: new Date(now) }, { sessionId: hashToken(token) })
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

/**
 * The session of the request, or null: a session past its idle deadline, past the last activity
 * plus the effective idle limit, or past its absolute deadline is deleted. A valid request is
 * activity and moves the idle deadline.
 */
export async function getRequestSession(db: Database, request: Request): Promise<{ session: AuthSession; user: AuthUser } | null> {
  const token = readToken(db, request)
  if (!token) return null
  const sessionId = hashToken(token)
  const found = await findSessionForValidation(db, sessionId)
  if (!found) return null
  const { session: row, user, limits } = found
  const now = Date.now()
  const absoluteExpiresAt = Math.min(row.absoluteExpiresAt.getTime(), row.createdAt.getTime() + limits.absoluteSessionHours * 3_600_000)
  const idleDeadline = row.lastActivityAt.getTime() + limits.idleTimeoutMinutes * 60_000
  if (now >= row.expiresAt.getTime() || now >= idleDeadline || now >= absoluteExpiresAt) {
    await deleteSession(db, sessionId)
    return null
  }
  let expiresAt = row.expiresAt.getTime()
  const extended = Math.min(now + limits.idleTimeoutMinutes * 60_000, absoluteExpiresAt)
  if (extended - expiresAt >= ACTIVITY_WRITE_MS || extended < expiresAt || absoluteExpiresAt < row.absoluteExpiresAt.getTime()) {
    expiresAt = extended
    await recordSessionActivity(db, { sessionId, lastActivityAt: new Date(now), expiresAt: new Date(expiresAt), absoluteExpiresAt: new Date(absoluteExpiresAt) })
  }
  const session: AuthSession = {
    id: row.id,
    userId: row.userId,
    expiresAt: new Date(expiresAt),
    absoluteExpiresAt: new Date(absoluteExpiresAt),
    mfaVerified: row.mfaVerified,
    userAgent: row.userAgent,
    limits,
  }
  return { session, user: toAuthUser(user) }
}

/** After the second factor: a new session id (no fixation across the privilege change), same absolute deadline. */
export async function upgradeSessionAfterSecondFactor(db: Database, { session, request }: { session: AuthSession; request: Request }) {
  const token = newToken()
  await lucia(db).createSession(
    session.userId,
    { mfaVerified: true, absoluteExpiresAt: session.absoluteExpiresAt, userAgent: (request.headers.get('user-agent') ?? '').slice(0, 200), lastActivityAt: new Date() },
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

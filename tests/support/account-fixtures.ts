import { count, eq, isNull, sql } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import { createAccount } from '#crypto/account.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { encodeIdentityPublic, generateIdentityKeys, wrapIdentitySecrets } from '#crypto/identity.ts'
import { wrapKey, type WrapPurpose } from '#crypto/key-wrap.ts'
import { randomKey } from '#crypto/primitives.ts'
import { deriveRecoveryAuthSecret } from '#crypto/recovery-proof.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { DEFAULT_KDF } from '#db/accounts.ts'
import { createInvitation } from '#db/invitations.ts'
import { type AuditEventType } from '#db/journal/events.ts'
import { auditDetails, auditQueue, invitations, sessions, throttleCounters, users } from '#db/schema.ts'
import { hashToken } from '#db/tokens.ts'
import { type InProcessApp } from './in-process-app.ts'

/**
 * Accounts for the security tests, built the way the browser builds them: the crypto library derives
 * and wraps everything in this process, only the public and wrapped parts go over real HTTP.
 */

export const SESSION_COOKIE = 'cellule_session'

export type HttpResult = {
  status: number
  headers: Headers
  text: string
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: Record<string, unknown> | undefined
  /** `cellule_session=…` from Set-Cookie, when the response sets one (possibly blank). */
  sessionCookie: string | undefined
}

export type RequestOptions = {
  cookie?: string
  headers?: Record<string, string>
  method?: string
}

function sessionCookieOf(headers: Headers): string | undefined {
  for (const line of headers.getSetCookie()) {
    const first = line.split(';')[0] ?? ''
    if (first.startsWith(`${SESSION_COOKIE}=`)) return first
  }
  return undefined
}

/** One HTTP request to the app, never following redirects. `body` is sent as is (string or bytes). */
export async function send(app: InProcessApp, path: string, { body, cookie, headers = {}, method = 'POST' }: RequestOptions & { body?: string | Uint8Array } = {}): Promise<HttpResult> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(cookie ? { Cookie: cookie } : {}), ...headers },
    body: typeof body === 'string' || body === undefined ? body : new Blob([new Uint8Array(body)]),
  })
  const text = await response.text()
  let json: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(text)
    json = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json, sessionCookie: sessionCookieOf(response.headers) }
}

/** A JSON POST as the page's `postJson` sends it (same origin). */
export function postJson(app: InProcessApp, path: string, body: unknown, options: RequestOptions = {}): Promise<HttpResult> {
  return send(app, path, {
    ...options,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', Origin: app.url, ...options.headers },
  })
}

/** A form POST as a non-JavaScript browser would send it. */
export function postForm(app: InProcessApp, path: string, fields: Record<string, string>, options: RequestOptions = {}): Promise<HttpResult> {
  return send(app, path, {
    ...options,
    body: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: app.url, ...options.headers },
  })
}

export function getPage(app: InProcessApp, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  return send(app, path, { ...options, method: 'GET' })
}

/** Forgets every failure the app's throttles counted (they live in its database). */
export async function resetThrottles(app: InProcessApp): Promise<void> {
  await app.database.handle.db.delete(throttleCounters)
}

export type Kdf = { algorithm: 'argon2id13'; opsLimit: number; memLimitBytes: number; saltSeed: string }

export type TestUser = {
  email: string
  password: string
  userId: string
  kdf: Kdf
  /** What the browser derives from the password and sends at login (base64url). */
  authSecret: string
  recoveryCode: string
  recoveryAuthSecret: string
  wrappedAccountKey: string
  /** The account key (UAK) in clear, as the browser holds it in memory after login. */
  accountKey: Uint8Array
  /** Base32 TOTP secret, once enrolled. */
  totpSecret: string
  /** Last TOTP step this helper made the server accept. */
  lastStep: number
  /** A session with both factors, from the enrolment. */
  cookie: string
}

/** Structurally valid key material for `userId` (right formats and purposes) without a password derivation. */
export async function fakeKeyMaterial(userId: string) {
  await initCrypto()
  const accountKey = randomKey()
  const identity = generateIdentityKeys()
  const wrap = (purpose: WrapPurpose) => toBase64Url(wrapKey({ key: randomKey(), wrappingKey: randomKey(), purpose, context: [userId] }))
  return {
    authSecret: toBase64Url(randomKey()),
    recoveryAuthSecret: toBase64Url(randomKey()),
    wrappedAccountKey: wrap('uak_password'),
    recoveryWrappedAccountKey: wrap('uak_recovery'),
    identityPublic: toBase64Url(encodeIdentityPublic({ userId, identity })),
    wrappedIdentitySecrets: toBase64Url(wrapIdentitySecrets({ userId, identity, accountKey })),
  }
}

/** A wrapped key of any purpose, in transport form. */
export async function wrappedKeyFor(purpose: WrapPurpose, userId: string): Promise<string> {
  await initCrypto()
  const keyLength = purpose === 'identity_secrets' ? 96 : 32
  const key = new Uint8Array(keyLength)
  return toBase64Url(wrapKey({ key, wrappingKey: randomKey(), purpose, context: [userId] }))
}

export async function newInvitation(app: InProcessApp, email: string, purpose: 'registration' | 'account_reset' = 'registration') {
  const { token, invitation } = await createInvitation(app.database.handle.db, { email, purpose })
  const kdf: Kdf = { algorithm: 'argon2id13', opsLimit: DEFAULT_KDF.opsLimit, memLimitBytes: DEFAULT_KDF.memLimitBytes, saltSeed: invitation.saltSeed }
  return { token, invitation, kdf }
}

/** The six TOTP codes around now that the server would accept (one step of drift either way). */
export function acceptableTotpCodes(secret: string, email: string): string[] {
  const totp = totpFor(secret, email)
  const current = Math.floor(Date.now() / 30_000)
  return [current - 2, current - 1, current, current + 1, current + 2].map(step => totp.generate({ timestamp: step * 30_000 + 1 }))
}

/** A 6-digit code that no step near now produces. */
export function wrongTotpCode(secret: string, email: string): string {
  const near = new Set(acceptableTotpCodes(secret, email))
  for (let candidate = 123_456; ; candidate = (candidate + 7_919) % 1_000_000) {
    const code = String(candidate).padStart(6, '0')
    if (!near.has(code)) return code
  }
}

function totpFor(secret: string, email: string) {
  return new TOTP({ issuer: 'Cellule', label: email, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) })
}

/**
 * A code for the current step or the next one, never the previous: the server accepts one step of
 * drift either way, so a previous-step code would be refused if a 30 s boundary passed before it
 * reached the server. Undefined when both are already used.
 */
function unusedTotpCode(secret: string, email: string, lastStep: number): { code: string; step: number } | undefined {
  const current = Math.floor(Date.now() / 30_000)
  const step = [current, current + 1].find(candidate => candidate > lastStep)
  return step === undefined ? undefined : { code: totpFor(secret, email).generate({ timestamp: step * 30_000 + 1 }), step }
}

/**
 * A fresh TOTP code for the user. The server refuses replays, so at most two codes per 30 s window
 * are usable this way; rather than wait, the helper moves the stored last step back (test set-up
 * only, never the behaviour under test).
 */
export async function freshTotpCode(app: InProcessApp, user: TestUser): Promise<{ code: string; step: number }> {
  const next = unusedTotpCode(user.totpSecret, user.email, user.lastStep)
  if (next) return next
  user.lastStep = Math.floor(Date.now() / 30_000) - 1
  await app.database.handle.db.update(users).set({ totpLastStep: user.lastStep }).where(eq(users.id, user.userId))
  const rewound = unusedTotpCode(user.totpSecret, user.email, user.lastStep)
  if (!rewound) throw new Error('no TOTP step available after rewinding')
  return rewound
}

/**
 * Registers a user through the invitation link and the real API, then enrols TOTP through the
 * enrolment page. The account is made by `createAccount`, exactly as the browser does.
 */
export async function registerUser(
  app: InProcessApp,
  {
    email,
    password,
    displayName = 'Camille Testeuse',
    profession = 'medecin',
    rppsNumber = '10001234565',
    adeliNumber = '',
    enrolTotp = true,
  }: { email: string; password: string; displayName?: string; profession?: string; rppsNumber?: string; adeliNumber?: string; enrolTotp?: boolean },
): Promise<TestUser> {
  await initCrypto()
  const { token, invitation, kdf } = await newInvitation(app, email)
  const page = await postJson(app, '/api/auth/invitation', { token })
  if (page.status !== 200) throw new Error(`invitation lookup answered ${page.status}`)
  const userId = invitation.userId
  const account = createAccount({ userId, email, password, kdfParams: kdf })
  const submission = {
    authSecret: toBase64Url(account.authSecret),
    recoveryAuthSecret: toBase64Url(deriveRecoveryAuthSecret(account.recoveryCode.secret)),
    wrappedAccountKey: toBase64Url(account.wrappedAccountKeyByPassword),
    recoveryWrappedAccountKey: toBase64Url(account.wrappedAccountKeyByRecovery),
    identityPublic: toBase64Url(account.identityPublic),
    wrappedIdentitySecrets: toBase64Url(account.wrappedIdentitySecrets),
  }
  const registered = await postJson(app, '/api/auth/register', { token, displayName, profession, rppsNumber, adeliNumber, ...submission })
  if (registered.status !== 200 || !registered.sessionCookie) throw new Error(`registration answered ${registered.status}: ${registered.text}`)
  const user: TestUser = {
    email,
    password,
    userId,
    kdf,
    authSecret: submission.authSecret,
    recoveryCode: account.recoveryCode.code,
    recoveryAuthSecret: submission.recoveryAuthSecret,
    wrappedAccountKey: submission.wrappedAccountKey,
    accountKey: account.accountKey,
    totpSecret: '',
    lastStep: 0,
    cookie: registered.sessionCookie,
  }
  if (!enrolTotp) return user

  const enrolment = await getPage(app, '/compte/double-authentification', { cookie: user.cookie })
  const manualKey = /data-testid="cle-totp"[^>]*>([A-Z2-7 ]+)</.exec(enrolment.text)?.[1]
  if (enrolment.status !== 200 || !manualKey) throw new Error(`enrolment page answered ${enrolment.status} without a key`)
  user.totpSecret = manualKey.replace(/\s/g, '')
  const first = unusedTotpCode(user.totpSecret, email, 0)
  if (!first) throw new Error('no TOTP step available')
  const { code, step } = first
  const enrolled = await postForm(app, '/compte/double-authentification', { code }, { cookie: user.cookie })
  if (enrolled.status !== 302 || !enrolled.sessionCookie) throw new Error(`enrolment answered ${enrolled.status}: ${enrolled.text.slice(0, 300)}`)
  user.lastStep = step
  user.cookie = enrolled.sessionCookie
  return user
}

/** Password step only: a session that still lacks the second factor. */
export async function loginPasswordOnly(app: InProcessApp, user: TestUser, headers: Record<string, string> = {}): Promise<string> {
  const response = await postJson(app, '/api/auth/login', { email: user.email, authSecret: user.authSecret }, { headers })
  if (response.status !== 200 || !response.sessionCookie) throw new Error(`login answered ${response.status}: ${response.text}`)
  return response.sessionCookie
}

/** Both factors through the API; returns the upgraded session cookie. */
export async function loginBothFactors(app: InProcessApp, user: TestUser): Promise<string> {
  const passwordCookie = await loginPasswordOnly(app, user)
  const { code, step } = await freshTotpCode(app, user)
  const response = await postJson(app, '/api/auth/totp', { code }, { cookie: passwordCookie })
  if (response.status !== 200 || !response.sessionCookie) throw new Error(`TOTP answered ${response.status}: ${response.text}`)
  user.lastStep = step
  return response.sessionCookie
}

/** The session id the database stores for a cookie (SHA-256 of its token). */
export function sessionIdOf(cookie: string): string {
  return hashToken(cookie.slice(`${SESSION_COOKIE}=`.length))
}

export async function sessionRow(app: InProcessApp, cookie: string) {
  const [row] = await app.database.handle.db.select().from(sessions).where(eq(sessions.id, sessionIdOf(cookie)))
  return row
}

export async function sessionIdsOf(app: InProcessApp, userId: string): Promise<string[]> {
  const rows = await app.database.handle.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId))
  return rows.map(row => row.id).sort()
}

/** What "nothing stored" compares: accounts (with their secrets), sessions, unused invitations. */
export async function storedState(app: InProcessApp) {
  const db = app.database.handle.db
  const accounts = await db
    .select({
      id: users.id,
      email: users.email,
      authSecretHash: users.authSecretHash,
      recoverySecretHash: users.recoverySecretHash,
      wrappedAccountKey: users.wrappedAccountKey,
      totpLastStep: users.totpLastStep,
      totpEnabledAt: users.totpEnabledAt,
    })
    .from(users)
    .orderBy(users.id)
  const sessionRows = await db.select({ id: sessions.id, userId: sessions.userId, mfaVerified: sessions.mfaVerified }).from(sessions).orderBy(sessions.id)
  const unused = await db.select({ id: invitations.id }).from(invitations).where(isNull(invitations.usedAt)).orderBy(invitations.id)
  return { accounts, sessions: sessionRows, unusedInvitations: unused.map(row => row.id) }
}

export async function countRows(app: InProcessApp) {
  const db = app.database.handle.db
  const [userCount] = await db.select({ total: count() }).from(users)
  const [sessionCount] = await db.select({ total: count() }).from(sessions)
  const [auditCount] = await db.select({ total: count() }).from(auditQueue)
  return { users: userCount?.total ?? 0, sessions: sessionCount?.total ?? 0, audit: auditCount?.total ?? 0 }
}

/** Journal events of one type (a journal action, db/journal/events.ts), after queue id `since`. */
export async function auditRows(app: InProcessApp, { type, since = 0 }: { type: AuditEventType; since?: number }) {
  const rows = await app.database.handle.db
    .select({ id: auditQueue.id, action: auditQueue.action, outcome: auditQueue.outcome, cellId: auditQueue.cellId, actorUserId: auditDetails.actorUserId, detail: auditDetails.detail })
    .from(auditQueue)
    .leftJoin(auditDetails, eq(auditDetails.eventId, auditQueue.eventId))
    .where(sql`${auditQueue.action} = ${type} and ${auditQueue.id} > ${since}`)
    .orderBy(auditQueue.id)
  return rows.map(row => {
    const detail = (row.detail ?? {}) as { data?: Record<string, unknown>; ip?: string | null }
    return { ...row, type, data: detail.data ?? {}, ipAddress: detail.ip ?? null }
  })
}

export async function lastAuditId(app: InProcessApp): Promise<number> {
  const [row] = await app.database.handle.db.select({ last: sql<number>`coalesce(max(${auditQueue.id}), 0)` }).from(auditQueue)
  return Number(row?.last ?? 0)
}

import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { changePassword, createAccount, deriveAccountSecrets } from '#crypto/account.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { CryptoPolicyError } from '#crypto/errors.ts'
import { randomKey } from '#crypto/primitives.ts'
import { initCrypto, sodium } from '#crypto/sodium.ts'
import { invitations, sessions, users } from '#db/schema.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'
import {
  auditRows,
  countRows,
  fakeKeyMaterial,
  freshTotpCode,
  getPage,
  lastAuditId,
  loginBothFactors,
  loginPasswordOnly,
  newInvitation,
  postForm,
  postJson,
  registerUser,
  resetThrottles,
  send,
  sessionIdOf,
  sessionIdsOf,
  sessionRow,
  wrappedKeyFor,
  wrongTotpCode,
  type HttpResult,
  type TestUser,
} from '#tests/support/account-fixtures.ts'

const WRONG_CREDENTIALS = 'Adresse électronique ou mot de passe incorrect.'
const SESSION_EXPIRED = 'Votre session a expiré. Reconnectez-vous.'
const PASSWORD = 'Refus-Mot-de-passe-2026!'

let app: InProcessApp
let alice: TestUser
let bob: TestUser
let carol: TestUser
let dave: TestUser

beforeAll(async () => {
  app = await startInProcessApp()
  alice = await registerUser(app, { email: 'alice.refus@exemple.fr', password: PASSWORD })
  bob = await registerUser(app, { email: 'bob.refus@exemple.fr', password: PASSWORD, profession: 'psychologue', rppsNumber: '', adeliNumber: '123456789' })
  carol = await registerUser(app, { email: 'carol.refus@exemple.fr', password: PASSWORD, profession: 'autre', rppsNumber: '' })
  dave = await registerUser(app, { email: 'dave.refus@exemple.fr', password: PASSWORD, profession: 'infirmier', rppsNumber: '', adeliNumber: '987654321' })
})

afterAll(async () => {
  await app?.close()
})

beforeEach(async () => {
  await resetThrottles(app)
})

function errorOf(response: HttpResult): string {
  return typeof response.json?.error === 'string' ? response.json.error : ''
}

/** A page that needs both factors answers a redirect to the login page. */
function expectLoginRedirect(response: HttpResult, { totpStep = false }: { totpStep?: boolean } = {}) {
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location') ?? '', app.url)
  expect(location.pathname).toBe('/connexion')
  expect(location.searchParams.get('redirectTo')).toBe('/compte')
  expect(location.searchParams.get('etape')).toBe(totpStep ? 'totp' : null)
}

async function expectSessionRefused(cookie: string) {
  expectLoginRedirect(await getPage(app, '/compte', { cookie }))
  const api = await postJson(app, '/api/auth/password', {}, { cookie })
  expect(api.status).toBe(401)
  expect(errorOf(api)).toBe(SESSION_EXPIRED)
  const status = await postJson(app, '/api/session', {}, { cookie })
  expect(status.json).toEqual({ active: false })
}

async function expectSessionWorks(cookie: string) {
  const page = await getPage(app, '/compte', { cookie })
  expect(page.status).toBe(200)
  expect(page.text).toContain('Sessions actives')
}

describe('wrong password', () => {
  it('is refused with 401 and a message that does not say whether the account exists', async () => {
    const since = await lastAuditId(app)
    const before = await countRows(app)
    const known = await postJson(app, '/api/auth/login', { email: alice.email, authSecret: toBase64Url(randomKey()) })
    const unknown = await postJson(app, '/api/auth/login', { email: 'personne.inconnue@exemple.fr', authSecret: toBase64Url(randomKey()) })

    for (const response of [known, unknown]) {
      expect(response.status).toBe(401)
      expect(response.json).toEqual({ error: WRONG_CREDENTIALS })
      expect(response.sessionCookie).toBeUndefined()
    }
    expect(known.text).toBe(unknown.text)
    expect(known.headers.get('content-type')).toBe(unknown.headers.get('content-type'))
    expect((await countRows(app)).sessions).toBe(before.sessions)

    const failures = await auditRows(app, { type: 'auth.login', since })
    expect(failures.map(row => [row.outcome, row.data, row.actorUserId])).toEqual([
      ['failure', { reason: 'bad_credentials' }, alice.userId],
      ['failure', { reason: 'bad_credentials' }, null],
    ])
  })

  it('still lets the right secret in (the refusal above was about the secret, not the account)', async () => {
    const response = await postJson(app, '/api/auth/login', { email: alice.email.toUpperCase(), authSecret: alice.authSecret })
    expect(response.status).toBe(200)
    expect(response.json).toEqual({ next: 'totp', userId: alice.userId })
    expect((await sessionRow(app, response.sessionCookie ?? ''))?.mfaVerified).toBe(false)
  })
})

describe('pre-login and recovery parameters', () => {
  it('answer an unknown address with the same shape as a known one, deterministically', async () => {
    const known = await postJson(app, '/api/auth/pre-login', { email: alice.email })
    const unknown = await postJson(app, '/api/auth/pre-login', { email: 'inconnu.total@exemple.fr' })
    const again = await postJson(app, '/api/auth/pre-login', { email: '  Inconnu.Total@Exemple.FR ' })
    const other = await postJson(app, '/api/auth/pre-login', { email: 'autre.inconnu@exemple.fr' })

    for (const response of [known, unknown, again, other]) {
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(Object.keys(response.json ?? {}).sort()).toEqual(['algorithm', 'memLimitBytes', 'opsLimit', 'saltSeed'])
      expect(response.json?.saltSeed).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }
    expect(known.json).toEqual(alice.kdf)
    const { saltSeed: _known, ...knownCosts } = known.json ?? {}
    const { saltSeed: unknownSeed, ...unknownCosts } = unknown.json ?? {}
    expect(unknownCosts).toEqual(knownCosts)
    expect(again.json).toEqual(unknown.json)
    expect(other.json?.saltSeed).not.toBe(unknownSeed)
    expect(unknownSeed).not.toBe(alice.kdf.saltSeed)
  })

  it('recovery parameters: same shape for an unknown address, the same answer twice', async () => {
    const known = await postJson(app, '/api/auth/recovery-parameters', { email: alice.email })
    const unknown = await postJson(app, '/api/auth/recovery-parameters', { email: 'inconnu.total@exemple.fr' })
    const again = await postJson(app, '/api/auth/recovery-parameters', { email: 'inconnu.total@exemple.fr' })
    const shape = (response: HttpResult) => ({
      keys: Object.keys(response.json ?? {}).sort(),
      userId: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(String(response.json?.userId)),
      wrapLength: String(response.json?.recoveryWrappedAccountKey).length,
      kdfKeys: Object.keys((response.json?.kdf as object | undefined) ?? {}).sort(),
    })
    expect(known.status).toBe(200)
    expect(unknown.status).toBe(200)
    expect(shape(unknown)).toEqual(shape(known))
    expect(again.json).toEqual(unknown.json)
    expect(unknown.json?.userId).not.toBe(alice.userId)
  })
})

describe('second factor', () => {
  it('refuses a wrong code: 401 in French, the session stays password-only', async () => {
    const since = await lastAuditId(app)
    const cookie = await loginPasswordOnly(app, alice)
    const response = await postJson(app, '/api/auth/totp', { code: wrongTotpCode(alice.totpSecret, alice.email) }, { cookie })
    expect(response.status).toBe(401)
    expect(errorOf(response)).toBe('Code incorrect. Vérifiez l’heure de votre téléphone et saisissez le code affiché.')
    expect(response.sessionCookie).toBeUndefined()
    expect(response.json).not.toHaveProperty('wrappedAccountKey')
    expect((await sessionRow(app, cookie))?.mfaVerified).toBe(false)
    expectLoginRedirect(await getPage(app, '/compte', { cookie }), { totpStep: true })
    const rows = await auditRows(app, { type: 'auth.mfa', since })
    expect(rows.map(row => [row.outcome, row.data, row.actorUserId])).toEqual([['failure', { reason: 'bad_code' }, alice.userId]])
  })

  it('refuses a code already used (replay), even from another password session', async () => {
    const first = await loginPasswordOnly(app, alice)
    const { code, step } = await freshTotpCode(app, alice)
    const accepted = await postJson(app, '/api/auth/totp', { code }, { cookie: first })
    expect(accepted.status).toBe(200)
    alice.lastStep = step

    const since = await lastAuditId(app)
    const second = await loginPasswordOnly(app, alice)
    const replayed = await postJson(app, '/api/auth/totp', { code }, { cookie: second })
    expect(replayed.status).toBe(401)
    expect(errorOf(replayed)).toBe('Ce code a déjà été utilisé. Attendez le code suivant de votre application.')
    expect(replayed.sessionCookie).toBeUndefined()
    expect((await sessionRow(app, second))?.mfaVerified).toBe(false)
    const rows = await auditRows(app, { type: 'auth.mfa', since })
    expect(rows.map(row => [row.outcome, row.data])).toEqual([['failure', { reason: 'replayed' }]])
  })

  it('accepts one code only once when the same code arrives twice at the same time', async () => {
    const cookies = [await loginPasswordOnly(app, bob), await loginPasswordOnly(app, bob)]
    const verifiedSessions = async () =>
      (await app.database.handle.db.select().from(sessions).where(eq(sessions.userId, bob.userId))).filter(row => row.mfaVerified).length
    const before = await verifiedSessions()
    const { code, step } = await freshTotpCode(app, bob)
    const responses = await Promise.all(cookies.map(cookie => postJson(app, '/api/auth/totp', { code }, { cookie })))
    bob.lastStep = step
    expect(responses.map(response => response.status).sort()).toEqual([200, 401])
    expect(responses.filter(response => response.json && 'wrappedAccountKey' in response.json).length).toBe(1)
    expect((await verifiedSessions()) - before).toBe(1)
  })

  it('is throttled after repeated wrong codes, even for the right code, with Retry-After', async () => {
    const cookie = await loginPasswordOnly(app, carol)
    const since = await lastAuditId(app)
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await postJson(app, '/api/auth/totp', { code: wrongTotpCode(carol.totpSecret, carol.email) }, { cookie })
      expect(response.status).toBe(401)
    }
    const { code } = await freshTotpCode(app, carol)
    const blocked = await postJson(app, '/api/auth/totp', { code }, { cookie })
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(errorOf(blocked)).toMatch(/^Trop de tentatives\. Par sécurité, patientez \d+ minutes? avant de réessayer\.$/)
    expect((await sessionRow(app, cookie))?.mfaVerified).toBe(false)
    const rows = await auditRows(app, { type: 'auth.mfa', since })
    expect(rows.map(row => (row.data as { reason: string }).reason)).toEqual(['bad_code', 'bad_code', 'bad_code', 'bad_code', 'bad_code', 'throttled'])
  })
})

describe('invitations', () => {
  async function registrationBody(token: string, userId: string) {
    return { token, displayName: 'Dominique Invitée', profession: 'autre', ...(await fakeKeyMaterial(userId)) }
  }

  it('an expired link gives the French 410 page and API message, and creates nothing', async () => {
    const { token, invitation } = await newInvitation(app, 'expiree@exemple.fr')
    const db = app.database.handle.db
    await db.update(invitations).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(invitations.id, invitation.id))
    const before = await countRows(app)
    const since = await lastAuditId(app)

    const page = await postJson(app, '/api/auth/invitation', { token })
    expect(page.status).toBe(410)
    expect(page.text).toContain('Lien d’invitation expiré')
    expect(page.text).toContain('Ce lien était valable 7 jours et a expiré.')

    const api = await postJson(app, '/api/auth/register', await registrationBody(token, invitation.userId))
    expect(api.status).toBe(410)
    expect(errorOf(api)).toBe('Ce lien d’invitation a expiré (validité 7 jours). Demandez une nouvelle invitation.')
    expect(api.sessionCookie).toBeUndefined()

    const after = await countRows(app)
    expect(after.users).toBe(before.users)
    expect(after.sessions).toBe(before.sessions)
    const [row] = await db.select().from(invitations).where(eq(invitations.id, invitation.id))
    expect(row?.usedAt).toBeNull()
    expect((await db.select().from(users).where(eq(users.id, invitation.userId))).length).toBe(0)
    const refused = await auditRows(app, { type: 'account.invitation.refused', since })
    expect(refused.map(entry => entry.data)).toEqual([{ reason: 'expired' }])
  })

  it('a used link gives the French 410 page and API message, and creates nothing', async () => {
    const { token, invitation } = await newInvitation(app, 'utilisee@exemple.fr')
    const first = await postJson(app, '/api/auth/register', await registrationBody(token, invitation.userId))
    expect(first.status).toBe(200)
    const db = app.database.handle.db
    const [stored] = await db.select().from(users).where(eq(users.id, invitation.userId))
    const before = await countRows(app)

    const page = await postJson(app, '/api/auth/invitation', { token })
    expect(page.status).toBe(410)
    expect(page.text).toContain('Lien d’invitation déjà utilisé')

    const again = await postJson(app, '/api/auth/register', await registrationBody(token, invitation.userId))
    expect(again.status).toBe(410)
    expect(errorOf(again)).toBe('Ce lien d’invitation a déjà été utilisé. Connectez-vous, ou demandez une nouvelle invitation.')
    expect(again.sessionCookie).toBeUndefined()
    const after = await countRows(app)
    expect(after.users).toBe(before.users)
    expect(after.sessions).toBe(before.sessions)
    // The account made by the first use is untouched by the second attempt.
    const [unchanged] = await db.select().from(users).where(eq(users.id, invitation.userId))
    expect(unchanged).toEqual(stored)
  })

  it('an unknown link gives the French 404 page and API message', async () => {
    const token = 'x'.repeat(43)
    const page = await postJson(app, '/api/auth/invitation', { token })
    expect(page.status).toBe(404)
    expect(page.text).toContain('Lien d’invitation introuvable')
    const api = await postJson(app, '/api/auth/register', await registrationBody(token, '00000000-0000-4000-8000-000000000000'))
    expect(api.status).toBe(404)
    expect(errorOf(api)).toMatch(/^Ce lien d’invitation n’est pas valide/)
  })

  it('a second link for an address that has registered meanwhile is refused in French, creating nothing', async () => {
    const email = 'deux.liens@exemple.fr'
    const first = await newInvitation(app, email)
    const second = await newInvitation(app, email)
    expect((await postJson(app, '/api/auth/register', await registrationBody(first.token, first.invitation.userId))).status).toBe(200)
    const before = await countRows(app)

    const response = await postJson(app, '/api/auth/register', await registrationBody(second.token, second.invitation.userId))
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    expect(errorOf(response)).toMatch(/invitation|compte/)
    expect(response.sessionCookie).toBeUndefined()
    const after = await countRows(app)
    expect(after.users).toBe(before.users)
    expect(after.sessions).toBe(before.sessions)
  })
})

describe('invitations used at the same time', () => {
  it('two links for one address used at once: one account, the other refused in French (never a 500)', async () => {
    const email = 'deux.liens.ensemble@exemple.fr'
    const links = [await newInvitation(app, email), await newInvitation(app, email)]
    const bodies = await Promise.all(
      links.map(async ({ token, invitation }) => ({ token, displayName: 'Dominique Pressée', profession: 'autre', ...(await fakeKeyMaterial(invitation.userId)) })),
    )
    const before = await countRows(app)
    const responses = await Promise.all(bodies.map(body => postJson(app, '/api/auth/register', body)))
    const statuses = responses.map(response => response.status).sort()
    expect(statuses[0]).toBe(200)
    expect(statuses[1]).toBeGreaterThanOrEqual(400)
    expect(statuses[1]).toBeLessThan(500)
    const refused = responses.find(response => response.status !== 200)
    expect(refused && errorOf(refused)).toMatch(/compte|invitation/)
    expect((await countRows(app)).users).toBe(before.users + 1)
  })

  it('one link used twice at once: one account, one French 410', async () => {
    const { token, invitation } = await newInvitation(app, 'un.lien.deux.fois@exemple.fr')
    const body = { token, displayName: 'Dominique Pressée', profession: 'autre', ...(await fakeKeyMaterial(invitation.userId)) }
    const before = await countRows(app)
    const responses = await Promise.all([postJson(app, '/api/auth/register', body), postJson(app, '/api/auth/register', body)])
    expect(responses.map(response => response.status).sort()).toEqual([200, 410])
    expect((await countRows(app)).users).toBe(before.users + 1)
  })
})

describe('KDF parameters below the floor', () => {
  const password = 'Un-mot-de-passe-solide-42'

  it.each([
    ['opsLimit 2', { opsLimit: 2, memLimitBytes: 64 * 1024 * 1024 }, 'kdf_below_floor'],
    ['memLimitBytes 32 MiB', { opsLimit: 3, memLimitBytes: 32 * 1024 * 1024 }, 'kdf_below_floor'],
    ['memLimitBytes one byte under 64 MiB', { opsLimit: 3, memLimitBytes: 64 * 1024 * 1024 - 1 }, 'kdf_below_floor'],
    ['both costs low (opsLimit 1, 8 MiB)', { opsLimit: 1, memLimitBytes: 8 * 1024 * 1024 }, 'kdf_below_floor'],
  ])('%s: the client library refuses before deriving anything', async (_label, costs, code) => {
    await initCrypto()
    const pwhash = vi.spyOn(sodium, 'crypto_pwhash')
    try {
      const kdfParams = { algorithm: 'argon2id13', ...costs, saltSeed: alice.kdf.saltSeed }
      let caught: unknown
      try {
        deriveAccountSecrets({ email: alice.email, password, kdfParams })
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(CryptoPolicyError)
      expect((caught as CryptoPolicyError).code).toBe(code)
      expect((caught as Error).message).toBe('Paramètres de dérivation trop faibles envoyés par le serveur : connexion refusée.')
      expect(() => createAccount({ userId: alice.userId, email: alice.email, password, kdfParams })).toThrow(CryptoPolicyError)
      expect(pwhash).not.toHaveBeenCalled()
    } finally {
      pwhash.mockRestore()
    }
  })

  it('the server never serves parameters below the floor', async () => {
    for (const email of [alice.email, 'inconnu.total@exemple.fr']) {
      const response = await postJson(app, '/api/auth/pre-login', { email })
      expect(response.json?.opsLimit).toBeGreaterThanOrEqual(3)
      expect(response.json?.memLimitBytes).toBeGreaterThanOrEqual(64 * 1024 * 1024)
    }
  })
})

describe('brute force', () => {
  it('five wrong passwords, then 429 with Retry-After, also for the right password; audited', async () => {
    const since = await lastAuditId(app)
    const sessionsBefore = await sessionIdsOf(app, alice.userId)
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await postJson(app, '/api/auth/login', { email: alice.email, authSecret: toBase64Url(randomKey()) })
      expect(response.status).toBe(401)
    }
    const wrong = await postJson(app, '/api/auth/login', { email: alice.email, authSecret: toBase64Url(randomKey()) })
    expect(wrong.status).toBe(429)
    const retryAfter = Number(wrong.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    expect(errorOf(wrong)).toMatch(/^Trop de tentatives\. Par sécurité, patientez \d+ minutes? avant de réessayer\.$/)

    const right = await postJson(app, '/api/auth/login', { email: alice.email, authSecret: alice.authSecret })
    expect(right.status).toBe(429)
    expect(right.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(right.sessionCookie).toBeUndefined()
    expect(await sessionIdsOf(app, alice.userId)).toEqual(sessionsBefore)

    const rows = await auditRows(app, { type: 'auth.login', since })
    expect(rows.map(row => [row.outcome, (row.data as { reason?: string }).reason, row.actorUserId])).toEqual([
      ...Array.from({ length: 5 }, () => ['failure', 'bad_credentials', alice.userId]),
      ['failure', 'throttled', alice.userId],
      ['failure', 'throttled', alice.userId],
    ])
    expect(rows.every(row => row.ipAddress === '127.0.0.1')).toBe(true)
  })

  it('the account is throttled whatever address the attempts come from', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await postJson(app, '/api/auth/login', { email: bob.email, authSecret: toBase64Url(randomKey()) }, { headers: { 'X-Forwarded-For': `203.0.113.${attempt + 1}` } })
      expect(response.status).toBe(401)
    }
    const fromElsewhere = await postJson(app, '/api/auth/login', { email: bob.email, authSecret: bob.authSecret }, { headers: { 'X-Forwarded-For': '198.51.100.7' } })
    expect(fromElsewhere.status).toBe(429)
    expect(fromElsewhere.sessionCookie).toBeUndefined()
  })

  it('an address that fails on many accounts is throttled, unknown accounts included (50 free failures: shared addresses)', async () => {
    const headers = { 'X-Forwarded-For': '192.0.2.44' }
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await postJson(app, '/api/auth/login', { email: `essai${attempt}@exemple.fr`, authSecret: toBase64Url(randomKey()) }, { headers })
      expect(response.status).toBe(401)
    }
    const blocked = await postJson(app, '/api/auth/login', { email: carol.email, authSecret: carol.authSecret }, { headers })
    expect(blocked.status).toBe(429)
    expect(blocked.sessionCookie).toBeUndefined()
  })

  it('recovery: five wrong recovery proofs, then 429 even for the right one; nothing changes', async () => {
    const since = await lastAuditId(app)
    const [before] = await app.database.handle.db.select().from(users).where(eq(users.id, dave.userId))
    const newRecoveryWrappedAccountKey = await wrappedKeyFor('uak_recovery', dave.userId)
    const attempt = (recoveryAuthSecret: string) =>
      postJson(app, '/api/auth/recover', {
        email: dave.email,
        recoveryAuthSecret,
        newAuthSecret: toBase64Url(randomKey()),
        newWrappedAccountKey: dave.wrappedAccountKey,
        newRecoveryAuthSecret: toBase64Url(randomKey()),
        newRecoveryWrappedAccountKey,
      })
    for (let count = 0; count < 5; count++) {
      const response = await attempt(toBase64Url(randomKey()))
      expect(response.status).toBe(401)
      expect(errorOf(response)).toBe('Adresse électronique ou code de récupération incorrect.')
    }
    const right = await attempt(dave.recoveryAuthSecret)
    expect(right.status).toBe(429)
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
    const [after] = await app.database.handle.db.select().from(users).where(eq(users.id, dave.userId))
    expect(after).toEqual(before)
    const rows = await auditRows(app, { type: 'auth.recovered', since })
    expect(rows.map(row => (row.data as { reason?: string }).reason)).toEqual([...Array.from({ length: 5 }, () => 'bad_recovery_code'), 'throttled'])
  })

  it('password change: five wrong current secrets, then 429 even for the right one', async () => {
    const cookie = await loginBothFactors(app, dave)
    const [before] = await app.database.handle.db.select().from(users).where(eq(users.id, dave.userId))
    const attempt = (currentAuthSecret: string) =>
      postJson(app, '/api/auth/password', { currentAuthSecret, newAuthSecret: toBase64Url(randomKey()), newWrappedAccountKey: dave.wrappedAccountKey }, { cookie })
    for (let count = 0; count < 5; count++) expect((await attempt(toBase64Url(randomKey()))).status).toBe(401)
    const right = await attempt(dave.authSecret)
    expect(right.status).toBe(429)
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
    const [after] = await app.database.handle.db.select().from(users).where(eq(users.id, dave.userId))
    expect(after).toEqual(before)
    await expectSessionWorks(cookie)
  })

  it('pre-login: an address that asks too often gets a 429 with Retry-After', async () => {
    const headers = { 'X-Forwarded-For': '192.0.2.61' }
    const statuses: number[] = []
    for (let count = 0; count < 61; count++) {
      statuses.push((await postJson(app, '/api/auth/pre-login', { email: `demande${count}@exemple.fr` }, { headers })).status)
    }
    expect(statuses.slice(0, 60).every(status => status === 200)).toBe(true)
    expect(statuses[60]).toBe(429)
    const blocked = await postJson(app, '/api/auth/recovery-parameters', { email: alice.email }, { headers })
    expect(blocked.status).toBe(429)
    expect(blocked.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
    expect(blocked.json).not.toHaveProperty('recoveryWrappedAccountKey')
    // Another address is not affected.
    expect((await postJson(app, '/api/auth/pre-login', { email: alice.email }, { headers: { 'X-Forwarded-For': '192.0.2.62' } })).status).toBe(200)
  })

  it('registration: an address that tries too many links gets a 429 before the link is even looked up', async () => {
    const headers = { 'X-Forwarded-For': '192.0.2.77' }
    const { token, invitation } = await newInvitation(app, 'trop.de.tentatives@exemple.fr')
    for (let count = 0; count < 10; count++) {
      const response = await postJson(app, '/api/auth/register', { token: `${'y'.repeat(40)}${count}`, displayName: 'X Y', profession: 'autre' }, { headers })
      expect(response.status).toBe(422)
    }
    const blocked = await postJson(app, '/api/auth/register', { token, displayName: 'Vraie Personne', profession: 'autre', ...(await fakeKeyMaterial(invitation.userId)) }, { headers })
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    const [row] = await app.database.handle.db.select().from(invitations).where(eq(invitations.id, invitation.id))
    expect(row?.usedAt).toBeNull()
  })

  it('parallel wrong passwords do not get more than the free attempts', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => postJson(app, '/api/auth/login', { email: bob.email, authSecret: toBase64Url(randomKey()) })),
    )
    const statuses = responses.map(response => response.status)
    expect(statuses.filter(status => status === 401).length).toBeLessThanOrEqual(5)
    expect(statuses.every(status => status === 401 || status === 429)).toBe(true)
  })
})

describe('a recovery code is spent once used (review §6)', () => {
  async function recoveryRequest(user: TestUser, recoveryAuthSecret: string) {
    const newRecoveryAuthSecret = toBase64Url(randomKey())
    const body = {
      email: user.email,
      recoveryAuthSecret,
      newAuthSecret: toBase64Url(randomKey()),
      newWrappedAccountKey: await wrappedKeyFor('uak_password', user.userId),
      newRecoveryAuthSecret,
      newRecoveryWrappedAccountKey: await wrappedKeyFor('uak_recovery', user.userId),
    }
    return { body, newRecoveryAuthSecret }
  }

  it('the same code twice at the same moment: one recovery, the other refused in French; then the old code fails and the new one works', async () => {
    const erin = await registerUser(app, { email: 'erin.recuperation@exemple.fr', password: PASSWORD })
    await resetThrottles(app)
    const first = await recoveryRequest(erin, erin.recoveryAuthSecret)
    const second = await recoveryRequest(erin, erin.recoveryAuthSecret)
    const answers = await Promise.all([postJson(app, '/api/auth/recover', first.body), postJson(app, '/api/auth/recover', second.body)])
    const statuses = answers.map(answer => answer.status).sort()
    expect(statuses[0]).toBe(200)
    expect([401, 409]).toContain(statuses[1])
    const refused = answers.find(answer => answer.status !== 200)
    expect(errorOf(refused as HttpResult)).toMatch(/^(Adresse électronique ou code de récupération incorrect\.|Ce code de récupération vient de servir : il a été remplacé par un nouveau code\.)/)
    const winner = answers[0]?.status === 200 ? first : second
    const [stored] = await app.database.handle.db.select().from(users).where(eq(users.id, erin.userId))
    expect(stored?.recoveryWrappedAccountKey).toBe(winner.body.newRecoveryWrappedAccountKey)

    const again = await postJson(app, '/api/auth/recover', (await recoveryRequest(erin, erin.recoveryAuthSecret)).body)
    expect(again.status).toBe(401)
    expect(errorOf(again)).toBe('Adresse électronique ou code de récupération incorrect.')

    const withNewCode = await postJson(app, '/api/auth/recover', (await recoveryRequest(erin, winner.newRecoveryAuthSecret)).body)
    expect(withNewCode.status).toBe(200)
  })

  it('a recovery cannot lower the KDF cost of the account (other devices pinned it)', async () => {
    const frank = await registerUser(app, { email: 'frank.cout@exemple.fr', password: PASSWORD })
    await app.database.handle.db.update(users).set({ kdfOpsLimit: 4 }).where(eq(users.id, frank.userId))
    await resetThrottles(app)
    const { body } = await recoveryRequest(frank, frank.recoveryAuthSecret)
    const lowered = await postJson(app, '/api/auth/recover', { ...body, newKdf: { opsLimit: 3, memLimitBytes: 64 * 1024 * 1024 } })
    expect(lowered.status).toBe(422)
    expect(errorOf(lowered)).toMatch(/au moins aussi fortement que l’actuel/)
    const [stored] = await app.database.handle.db.select().from(users).where(eq(users.id, frank.userId))
    expect(stored?.kdfOpsLimit).toBe(4)
    expect(stored?.recoveryWrappedAccountKey).not.toBe(body.newRecoveryWrappedAccountKey)
  })
})

describe('session expiry and revocation', () => {
  it('an idle session (expires_at passed) is refused everywhere and deleted', async () => {
    const cookie = await loginBothFactors(app, alice)
    await expectSessionWorks(cookie)
    await app.database.handle.db.update(sessions).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(sessions.id, sessionIdOf(cookie)))
    await expectSessionRefused(cookie)
    expect(await sessionRow(app, cookie)).toBeUndefined()
  })

  it('a session past its absolute 12 h limit is refused even when recently active', async () => {
    const cookie = await loginBothFactors(app, alice)
    const row = await sessionRow(app, cookie)
    expect(row?.absoluteExpiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 12 * 3_600_000)
    expect(row?.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 15 * 60_000 + 1_000)
    await app.database.handle.db
      .update(sessions)
      .set({ absoluteExpiresAt: new Date(Date.now() - 1_000), expiresAt: new Date(Date.now() + 10 * 60_000) })
      .where(eq(sessions.id, sessionIdOf(cookie)))
    await expectSessionRefused(cookie)
    expect(await sessionRow(app, cookie)).toBeUndefined()
  })

  it('a session revoked from another session on /compte is refused', async () => {
    const keeper = await loginBothFactors(app, alice)
    const victim = await loginBothFactors(app, alice)
    await expectSessionWorks(victim)
    const listing = await getPage(app, '/compte', { cookie: keeper })
    expect(listing.text).toContain(sessionIdOf(victim))
    const since = await lastAuditId(app)

    const revoked = await postForm(app, '/compte', { intent: 'revoke', sessionId: sessionIdOf(victim) }, { cookie: keeper })
    expect(revoked.status).toBe(200)
    expect(await sessionRow(app, victim)).toBeUndefined()
    await expectSessionRefused(victim)
    await expectSessionWorks(keeper)
    const rows = await auditRows(app, { type: 'auth.session.revoked', since })
    expect(rows.map(row => [row.data, row.actorUserId])).toEqual([[{ reason: 'user' }, alice.userId]])
  })

  it('a logged-out session is refused', async () => {
    const cookie = await loginBothFactors(app, alice)
    const since = await lastAuditId(app)
    const logout = await send(app, '/deconnexion', { cookie, headers: { Origin: app.url } })
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')).toBe('/connexion?motif=deconnecte')
    expect(logout.sessionCookie).toBe('cellule_session=')
    await expectSessionRefused(cookie)
    const rows = await auditRows(app, { type: 'auth.session.revoked', since })
    expect(rows.map(row => row.data)).toEqual([{ reason: 'logout' }])
  })

  it('revocation cannot target another user’s session', async () => {
    const mine = await loginBothFactors(app, alice)
    const theirs = await loginBothFactors(app, bob)
    const since = await lastAuditId(app)
    const response = await postForm(app, '/compte', { intent: 'revoke', sessionId: sessionIdOf(theirs) }, { cookie: mine })
    expect(response.status).toBe(404)
    expect(response.text).toContain('Cette session n’existe plus.')
    expect(await sessionRow(app, theirs)).toBeDefined()
    await expectSessionWorks(theirs)
    await expectSessionWorks(mine)
    expect(await auditRows(app, { type: 'auth.session.revoked', since })).toEqual([])
    // Nor does the listing of one user show the other's sessions.
    expect((await getPage(app, '/compte', { cookie: mine })).text).not.toContain(sessionIdOf(theirs))
  })
})

describe('session cookies', () => {
  function setCookieLine(response: HttpResult): string {
    return response.headers.getSetCookie().find(line => line.startsWith('cellule_session=')) ?? ''
  }

  it('the session cookie is HttpOnly, SameSite=Lax, and a browser-session cookie (no Max-Age nor Expires)', async () => {
    const login = await postJson(app, '/api/auth/login', { email: bob.email, authSecret: bob.authSecret })
    const { code, step } = await freshTotpCode(app, bob)
    const totp = await postJson(app, '/api/auth/totp', { code }, { cookie: login.sessionCookie })
    bob.lastStep = step
    for (const response of [login, totp]) {
      const attributes = setCookieLine(response).split(';').map(part => part.trim().toLowerCase())
      expect(attributes).toContain('httponly')
      expect(attributes).toContain('samesite=lax')
      expect(attributes).toContain('path=/')
      // session.server.ts: "A browser-session cookie: the server decides expiry (idle and absolute)".
      expect(attributes.filter(attribute => attribute.startsWith('max-age=') || attribute.startsWith('expires='))).toEqual([])
    }
  })

  it('logout sends a cookie that expires at once', async () => {
    const cookie = await loginBothFactors(app, bob)
    const logout = await send(app, '/deconnexion', { cookie, headers: { Origin: app.url } })
    expect(setCookieLine(logout)).toMatch(/^cellule_session=;/)
    expect(setCookieLine(logout).toLowerCase()).toContain('max-age=0')
  })

  it('after the second factor the password-only cookie is dead (no fixation) and the 12 h cap is kept', async () => {
    const passwordCookie = await loginPasswordOnly(app, bob)
    const cap = new Date(Date.now() + 60 * 60_000)
    await app.database.handle.db.update(sessions).set({ absoluteExpiresAt: cap }).where(eq(sessions.id, sessionIdOf(passwordCookie)))
    const { code, step } = await freshTotpCode(app, bob)
    const upgraded = await postJson(app, '/api/auth/totp', { code }, { cookie: passwordCookie })
    bob.lastStep = step
    expect(upgraded.status).toBe(200)
    expect(upgraded.sessionCookie).toBeDefined()
    expect(upgraded.sessionCookie).not.toBe(passwordCookie)
    expect(await sessionRow(app, passwordCookie)).toBeUndefined()
    expectLoginRedirect(await getPage(app, '/compte', { cookie: passwordCookie }))
    const row = await sessionRow(app, upgraded.sessionCookie ?? '')
    expect(row?.mfaVerified).toBe(true)
    expect(row?.absoluteExpiresAt.getTime()).toBe(cap.getTime())
  })

  it.each(['/compte', '/compte/mot-de-passe', '/compte/mot-de-passe.data'])('%s (account data, wrapped key) is not stored by caches', async path => {
    const cookie = await loginBothFactors(app, bob)
    const response = await getPage(app, path, { cookie })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control') ?? '').toContain('no-store')
  })
})

describe('a password-only session (before the second factor)', () => {
  it('cannot reach /compte, the password change page nor the password API', async () => {
    const cookie = await loginPasswordOnly(app, alice)
    const row = await sessionRow(app, cookie)
    expect(row?.mfaVerified).toBe(false)
    const [before] = await app.database.handle.db.select().from(users).where(eq(users.id, alice.userId))

    expectLoginRedirect(await getPage(app, '/compte', { cookie }), { totpStep: true })
    const passwordPage = await getPage(app, '/compte/mot-de-passe', { cookie })
    expect(passwordPage.status).toBe(302)
    expect(passwordPage.headers.get('location')).toMatch(/^\/connexion\?/)
    expect(passwordPage.text).not.toContain(alice.wrappedAccountKey)

    const api = await postJson(
      app,
      '/api/auth/password',
      { currentAuthSecret: alice.authSecret, newAuthSecret: toBase64Url(randomKey()), newWrappedAccountKey: alice.wrappedAccountKey },
      { cookie },
    )
    expect(api.status).toBe(401)
    expect(errorOf(api)).toBe('Validez d’abord le code de double authentification.')

    // Nor revoke sessions, nor enrol a new authenticator over the existing one.
    const other = await loginBothFactors(app, alice)
    const revoke = await postForm(app, '/compte', { intent: 'revoke', sessionId: sessionIdOf(other) }, { cookie })
    expect(revoke.status).toBe(302)
    expect(await sessionRow(app, other)).toBeDefined()
    const enrol = await getPage(app, '/compte/double-authentification', { cookie })
    expect(enrol.status).toBe(302)
    expect(enrol.text).not.toContain(alice.totpSecret.slice(0, 4))

    const [after] = await app.database.handle.db.select().from(users).where(eq(users.id, alice.userId))
    expect(after?.authSecretHash).toBe(before?.authSecretHash)
    expect(after?.totpSecret).toBe(before?.totpSecret)
    expect(after?.wrappedAccountKey).toBe(before?.wrappedAccountKey)
  })
})

describe('password change', () => {
  it('revokes every session of the user, and only theirs', async () => {
    const current = await loginBothFactors(app, carol)
    const other = await loginBothFactors(app, carol)
    const passwordOnly = await loginPasswordOnly(app, carol)
    const bobSession = await loginBothFactors(app, bob)
    const carolSessions = (await sessionIdsOf(app, carol.userId)).length
    expect(carolSessions).toBeGreaterThanOrEqual(3)
    const since = await lastAuditId(app)

    await initCrypto()
    const next = changePassword({ userId: carol.userId, accountKey: carol.accountKey, newPassword: 'Nouveau-Mot-de-passe-99?', email: carol.email, kdfParams: carol.kdf })
    const response = await postJson(
      app,
      '/api/auth/password',
      { currentAuthSecret: carol.authSecret, newAuthSecret: toBase64Url(next.authSecret), newWrappedAccountKey: toBase64Url(next.wrappedAccountKeyByPassword) },
      { cookie: current },
    )
    expect(response.status).toBe(200)
    expect(response.json).toEqual({ next: '/connexion?motif=mot-de-passe-modifie' })
    expect(response.sessionCookie).toBe('cellule_session=')

    expect(await sessionIdsOf(app, carol.userId)).toEqual([])
    for (const cookie of [current, other, passwordOnly]) await expectSessionRefused(cookie)
    await expectSessionWorks(bobSession)
    const rows = await auditRows(app, { type: 'auth.password.changed', since })
    expect(rows.map(row => [row.outcome, row.data])).toEqual([['success', { sessionsRevoked: carolSessions }]])

    const oldSecret = await postJson(app, '/api/auth/login', { email: carol.email, authSecret: carol.authSecret })
    expect(oldSecret.status).toBe(401)
    const newSecret = await postJson(app, '/api/auth/login', { email: carol.email, authSecret: toBase64Url(next.authSecret) })
    expect(newSecret.status).toBe(200)
    carol.authSecret = toBase64Url(next.authSecret)
  })

  it('with a wrong current secret changes nothing and keeps the session', async () => {
    const cookie = await loginBothFactors(app, bob)
    const [before] = await app.database.handle.db.select().from(users).where(eq(users.id, bob.userId))
    const response = await postJson(
      app,
      '/api/auth/password',
      { currentAuthSecret: toBase64Url(randomKey()), newAuthSecret: toBase64Url(randomKey()), newWrappedAccountKey: bob.wrappedAccountKey },
      { cookie },
    )
    expect(response.status).toBe(401)
    expect(errorOf(response)).toBe('Mot de passe actuel incorrect.')
    const [after] = await app.database.handle.db.select().from(users).where(eq(users.id, bob.userId))
    expect(after).toEqual(before)
    await expectSessionWorks(cookie)
  })
})

describe('the login page’s return address', () => {
  it.each(['//attaquant.example/compte', 'https://attaquant.example/', '/\\attaquant.example', '/\t/attaquant.example', '/\n/attaquant.example', '/%09/attaquant.example', 'javascript:alert(1)'])(
    'redirectTo=%j never sends a signed-in user off the site',
    async target => {
      const cookie = await loginBothFactors(app, alice)
      const response = await getPage(app, `/connexion?redirectTo=${encodeURIComponent(target)}`, { cookie })
      expect(response.status).toBe(302)
      const location = response.headers.get('location') ?? ''
      // What a browser does with the Location header (WHATWG URL parsing strips tabs and newlines).
      expect(new URL(location, app.url).origin).toBe(app.url)
    },
  )
})

describe('cross-site requests', () => {
  const endpoints = [
    '/api/auth/pre-login',
    '/api/auth/login',
    '/api/auth/totp',
    '/api/auth/register',
    '/api/auth/password',
    '/api/auth/recovery-parameters',
    '/api/auth/recover',
    '/api/session',
    '/compte',
    '/compte/double-authentification',
    '/deconnexion',
  ]

  let cookie = ''
  beforeAll(async () => {
    cookie = await loginBothFactors(app, bob)
  })

  it.each(endpoints)('POST %s marked cross-site, or from a foreign Origin, is refused with 403 in French', async path => {
    const foreign: Record<string, string>[] = [{ 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site' }, { Origin: 'https://attaquant.example' }, { Origin: 'null' }]
    for (const headers of foreign) {
      const response = await send(app, path, { cookie, body: JSON.stringify({ email: bob.email, authSecret: bob.authSecret }), headers: { 'Content-Type': 'application/json', ...headers } })
      expect(response.status).toBe(403)
      expect(response.text).toMatch(/^Requête refusée : elle provient d'un autre site\./)
      expect(response.sessionCookie).toBeUndefined()
    }
    await expectSessionWorks(cookie)
  })

  it('a cross-site revoke or logout leaves the session alive', async () => {
    const keeper = await loginBothFactors(app, bob)
    const target = await loginBothFactors(app, bob)
    const revoke = await send(app, '/compte', {
      cookie: keeper,
      body: new URLSearchParams({ intent: 'revoke', sessionId: sessionIdOf(target) }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'cross-site', Origin: 'https://attaquant.example' },
    })
    expect(revoke.status).toBe(403)
    const logout = await send(app, '/deconnexion', { cookie: keeper, headers: { 'Sec-Fetch-Site': 'cross-site' } })
    expect(logout.status).toBe(403)
    await expectSessionWorks(keeper)
    await expectSessionWorks(target)
  })
})

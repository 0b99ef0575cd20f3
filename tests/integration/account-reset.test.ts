import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAccount } from '#crypto/account.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { deriveRecoveryAuthSecret } from '#crypto/recovery-proof.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { DEFAULT_KDF } from '#db/accounts.ts'
import { createInvitation } from '#db/invitations.ts'
import { sessions, users } from '#db/schema.ts'
import { auditRows } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

const EMAIL = 'reinitialisation@exemple.fr'
let app: InProcessApp

beforeAll(async () => {
  await initCrypto()
  app = await startInProcessApp()
})
afterAll(async () => {
  await app.close()
})

/** What the registration page sends, built with the same library in Node. */
async function registrationBody({ token, password }: { token: string; password: string }) {
  const [invitation] = await app.database.handle.db.query.invitations.findMany({ where: (table, { eq: equals }) => equals(table.email, EMAIL), orderBy: (table, { desc }) => [desc(table.createdAt)], limit: 1 })
  if (!invitation) throw new Error('no invitation')
  const account = createAccount({
    userId: invitation.userId,
    email: EMAIL,
    password,
    kdfParams: { algorithm: 'argon2id13', opsLimit: DEFAULT_KDF.opsLimit, memLimitBytes: DEFAULT_KDF.memLimitBytes, saltSeed: invitation.saltSeed },
  })
  return {
    token,
    displayName: 'Rémi Réinitialisé',
    profession: 'infirmier',
    rppsNumber: '10001234565',
    authSecret: toBase64Url(account.authSecret),
    recoveryAuthSecret: toBase64Url(deriveRecoveryAuthSecret(account.recoveryCode.secret)),
    wrappedAccountKey: toBase64Url(account.wrappedAccountKeyByPassword),
    recoveryWrappedAccountKey: toBase64Url(account.wrappedAccountKeyByRecovery),
    identityPublic: toBase64Url(account.identityPublic),
    wrappedIdentitySecrets: toBase64Url(account.wrappedIdentitySecrets),
  }
}

function post(path: string, body: unknown, cookie?: string) {
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: app.url, ...(cookie ? { Cookie: cookie } : {}) },
    body: JSON.stringify(body),
  })
}

describe('account reset', () => {
  it('gives new keys, revokes every session, requires the second factor again and marks the account for re-admission', async () => {
    const db = app.database.handle.db
    const registration = await createInvitation(db, { email: EMAIL, purpose: 'registration' })
    const registered = await post('/api/auth/register', await registrationBody({ token: registration.token, password: 'premier-mot-de-passe-long' }))
    expect(registered.status).toBe(200)
    const [before] = await db.select().from(users).where(eq(users.email, EMAIL))
    if (!before) throw new Error('user not created')
    await db.update(users).set({ totpSecret: 'JBSWY3DPEHPK3PXP', totpEnabledAt: new Date() }).where(eq(users.id, before.id))
    expect(await db.select().from(sessions).where(eq(sessions.userId, before.id))).toHaveLength(1)

    const reset = await createInvitation(db, { email: EMAIL, purpose: 'account_reset' })
    // The reset link carries its token in the fragment; the page asks about it in a POST body.
    expect(reset.token).not.toBe('')
    const page = await post('/api/auth/invitation', { token: reset.token })
    expect(page.status).toBe(200)
    expect(await page.json()).toMatchObject({ purpose: 'account_reset', email: EMAIL, userId: before.id, existing: { displayName: before.displayName } })

    const response = await post('/api/auth/register', await registrationBody({ token: reset.token, password: 'second-mot-de-passe-long' }))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ next: '/compte/double-authentification' })

    const [after] = await db.select().from(users).where(eq(users.id, before.id))
    expect(after?.identityPublic).not.toBe(before.identityPublic)
    expect(after?.wrappedAccountKey).not.toBe(before.wrappedAccountKey)
    expect(after?.authSecretHash).not.toBe(before.authSecretHash)
    expect(after?.displayName).toBe(before.displayName)
    expect(after?.totpSecret).toBeNull()
    expect(after?.totpEnabledAt).toBeNull()
    expect(after?.needsReadmissionSince).toBeInstanceOf(Date)

    // The old session is gone; only the one opened by the reset remains.
    const remaining = await db.select().from(sessions).where(eq(sessions.userId, before.id))
    expect(remaining).toHaveLength(1)
    expect(remaining[0]?.mfaVerified).toBe(false)

    const registeredEvents = (await auditRows(app, { type: 'account.registered' })).filter(event => event.actorUserId === before.id)
    const resets = (await auditRows(app, { type: 'auth.account.reset' })).filter(event => event.actorUserId === before.id)
    expect(registeredEvents).toHaveLength(1)
    expect(resets).toHaveLength(1)
    expect(resets[0]?.data).toMatchObject({ sessionsRevoked: 1 })

    // The link is one-time.
    const again = await post('/api/auth/register', await registrationBody({ token: reset.token, password: 'troisieme-mot-de-passe' }))
    expect(again.status).toBe(410)
    expect((await again.json()).error).toMatch(/déjà été utilisé/)
  })

  it('refuses to issue a reset for an address without an account, and a registration for one that has an account', async () => {
    const db = app.database.handle.db
    await expect(createInvitation(db, { email: 'personne@exemple.fr', purpose: 'account_reset' })).rejects.toThrow(/Aucun compte/)
    await expect(createInvitation(db, { email: EMAIL, purpose: 'registration' })).rejects.toThrow(/existe déjà/)
  })
})

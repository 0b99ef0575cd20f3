import { randomBytes } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { unlockWithPassword } from '#app/auth/account-crypto.client.ts'
import { unlockedKeys, wipeKeys } from '#app/auth/key-store.client.ts'
import { UNLOCK_FAILURE_MESSAGES } from '#app/auth/labels.ts'
import { createAccount, KDF_FLOOR } from '#crypto/account.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { initCrypto } from '#crypto/sodium.ts'

/**
 * Issue 10, « Errors that hide failures »: unlocking after a reload showed « Mot de passe incorrect »
 * for any exception. Only a failed authentication of the password wrap is a wrong password; a blob
 * the server sent malformed, a server error or no answer at all each say what happened.
 */

const PASSWORD = 'mot-de-passe-du-coffre-1'
const EMAIL = 'deverrouillage@exemple.fr'

type Material = { userId: string; email: string; wrappedAccountKey: string; wrappedIdentitySecrets: string; kdf: unknown }

let material: Material
let otherIdentitySecrets: string

function account(userId: string) {
  const kdf = { algorithm: 'argon2id13', ...KDF_FLOOR, saltSeed: toBase64Url(randomBytes(32)) }
  const created = createAccount({ userId, email: EMAIL, password: PASSWORD, kdfParams: kdf })
  return { userId, email: EMAIL, wrappedAccountKey: toBase64Url(created.wrappedAccountKeyByPassword), wrappedIdentitySecrets: toBase64Url(created.wrappedIdentitySecrets), kdf }
}

function serve(answer: () => Promise<Response>) {
  vi.stubGlobal('fetch', vi.fn(answer))
}

const json = (body: unknown, status = 200) => async () => Response.json(body, { status })

beforeAll(async () => {
  await initCrypto()
  material = account('user-unlock')
  otherIdentitySecrets = account('user-other').wrappedIdentitySecrets
})

afterEach(() => {
  vi.unstubAllGlobals()
  wipeKeys()
})

describe('unlocking the keys after a reload', () => {
  it('opens the keys with the right password', async () => {
    serve(json(material))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: true })
    expect(unlockedKeys()?.userId).toBe('user-unlock')
  })

  it('says « mot de passe incorrect » only when the password wrap fails to authenticate', async () => {
    serve(json(material))
    expect(await unlockWithPassword({ password: 'un-autre-mot-de-passe' })).toEqual({ ok: false, failure: 'wrong_password' })
    expect(UNLOCK_FAILURE_MESSAGES.wrong_password).toMatch(/^Mot de passe incorrect/)
    expect(unlockedKeys()).toBeNull()
  })

  it.each([
    ['an unknown format version', { wrappedAccountKey: toBase64Url(new Uint8Array(74).fill(9)) }],
    ['bytes that are not base64url', { wrappedAccountKey: '***' }],
    ['a truncated wrap', { wrappedAccountKey: 'AQE' }],
    ['identity secrets of another account (the password was right)', { wrappedIdentitySecrets: otherIdentitySecrets }],
    ['identity secrets that do not parse', { wrappedIdentitySecrets: 'AQ' }],
  ])('reports %s as keys damaged by the server, not as a wrong password', async (_case, damage) => {
    serve(json({ ...material, ...damage }))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'damaged_keys' })
    expect(unlockedKeys()).toBeNull()
  })

  it('reports an answer that is not the keys (no JSON, missing fields) as damaged keys', async () => {
    serve(async () => new Response('<html>proxy</html>', { status: 200 }))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'damaged_keys' })
    serve(json({ userId: 'user-unlock' }))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'damaged_keys' })
  })

  it('refuses weak or malformed KDF parameters before using the password', async () => {
    serve(json({ ...material, kdf: { algorithm: 'argon2id13', opsLimit: 1, memLimitBytes: 8 * 1024 * 1024, saltSeed: 'A'.repeat(43) } }))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'refused_parameters' })
    serve(json({ ...material, kdf: 'n’importe quoi' }))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'refused_parameters' })
  })

  it('tells a server that does not answer, a server error and an expired session apart', async () => {
    serve(() => Promise.reject(new TypeError('Failed to fetch')))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'server_unreachable' })
    serve(json({ error: 'Erreur interne' }, 500))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'server_error' })
    serve(json({ error: 'Erreur' }, 503))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'server_error' })
    serve(json({ error: 'Session expirée' }, 401))
    expect(await unlockWithPassword({ password: PASSWORD })).toEqual({ ok: false, failure: 'session_expired' })
  })

  it('gives each failure its own French message, and only one mentions a wrong password', () => {
    const messages = Object.values(UNLOCK_FAILURE_MESSAGES)
    expect(new Set(messages).size).toBe(messages.length)
    expect(messages.filter(message => /mot de passe incorrect/i.test(message))).toHaveLength(1)
  })
})

import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRosterPins, sealRosterPins, type PinSet } from '#app/cells/roster-pins.ts'
import { toBase64Url } from '#crypto/encoding.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { getPage, postJson, send } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 13 item 5: GET and POST /api/account/roster-pins. The blob is sealed by the real library
 * in the "browser" (this test), stored as is; the counter only grows (French 409 otherwise);
 * an account never gets another's blob; bad input is a French 4xx.
 */

let app: InProcessApp
let alice: AccountFixture
let bob: AccountFixture
const PATH = '/api/account/roster-pins'
const cookieOf = (account: AccountFixture) => `cellule_session=${account.sessionToken}`

function sealFor(account: AccountFixture, counter: number, pins: PinSet): string {
  return sealRosterPins({ userId: account.userId, accountKey: account.keys.accountKey, counter, pins })
}

const somePins = (): PinSet => new Map([[randomUUID(), { seq: 7, hash: toBase64Url(new Uint8Array(32).fill(4)) }]])

beforeAll(async () => {
  app = await startInProcessApp()
  await initCrypto()
  ;[alice, bob] = await Promise.all([
    createAccountFixture(app.runtime, { email: 'alice.reperes@ville.fr', password: 'mot-de-passe-alice-reperes', displayName: 'Alice Repères', profession: 'medecin' }),
    createAccountFixture(app.runtime, { email: 'bob.reperes@ccas.fr', password: 'mot-de-passe-bob-reperes', displayName: 'Bob Repères', profession: 'infirmier' }),
  ])
})
afterAll(async () => {
  await app?.close()
})

describe('the account’s synced roster pins', () => {
  it('starts empty, stores a sealed blob, serves it back, and only moves forward', async () => {
    const empty = await getPage(app, PATH, { cookie: cookieOf(alice) })
    expect(empty.status, empty.text).toBe(200)
    expect(empty.json).toEqual({ counter: 0, blob: null })

    const pins = somePins()
    const first = await postJson(app, PATH, { counter: 1, blob: sealFor(alice, 1, pins) }, { cookie: cookieOf(alice) })
    expect(first.status, first.text).toBe(200)
    const served = await getPage(app, PATH, { cookie: cookieOf(alice) })
    expect(served.json?.counter).toBe(1)
    expect(openRosterPins({ userId: alice.userId, accountKey: alice.keys.accountKey, counter: 1, blob: served.json?.blob as string })).toEqual(pins)

    // Another tab wrote first: an equal or lower counter is refused, in French, and nothing changes.
    const stale = await postJson(app, PATH, { counter: 1, blob: sealFor(alice, 1, new Map()) }, { cookie: cookieOf(alice) })
    expect(stale.status).toBe(409)
    expect(stale.json?.error).toMatch(/^Vos repères de registre ont été modifiés entre-temps/)
    const second = await postJson(app, PATH, { counter: 5, blob: sealFor(alice, 5, new Map()) }, { cookie: cookieOf(alice) })
    expect(second.status, second.text).toBe(200)
    const lower = await postJson(app, PATH, { counter: 3, blob: sealFor(alice, 3, pins) }, { cookie: cookieOf(alice) })
    expect(lower.status).toBe(409)
    expect((await getPage(app, PATH, { cookie: cookieOf(alice) })).json?.counter).toBe(5)
  })

  it('never serves or overwrites another account’s blob', async () => {
    const alicesBlob = (await getPage(app, PATH, { cookie: cookieOf(alice) })).json?.blob
    expect(typeof alicesBlob).toBe('string')
    const bobs = await getPage(app, PATH, { cookie: cookieOf(bob) })
    expect(bobs.json).toEqual({ counter: 0, blob: null })
    // Bob writes under his own row, whatever he sends; Alice's row is untouched.
    expect((await postJson(app, PATH, { counter: 99, blob: alicesBlob }, { cookie: cookieOf(bob) })).status).toBe(200)
    expect((await getPage(app, PATH, { cookie: cookieOf(alice) })).json).toEqual({ counter: 5, blob: alicesBlob })
    // Alice's blob replayed under Bob's account does not open for him (the AD binds the user id).
    expect(() => openRosterPins({ userId: bob.userId, accountKey: bob.keys.accountKey, counter: 99, blob: alicesBlob as string })).toThrow()
  })

  it('anonymous callers get a French 401; every read and write is journaled', async () => {
    const anonymous = await getPage(app, PATH)
    expect(anonymous.status).toBe(401)
    expect(anonymous.json?.error).toMatch(/session/i)
    expect((await postJson(app, PATH, { counter: 1, blob: 'A'.repeat(60) })).status).toBe(401)
    const rows = (await app.database.handle.db.execute(sql`select action, count(*)::int as n from audit_queue where action like 'account.roster_pins.%' group by action order by action`)) as unknown as {
      rows: { action: string; n: number }[]
    }
    expect(rows.rows.map(row => row.action)).toEqual(['account.roster_pins.read', 'account.roster_pins.written'])
    expect(rows.rows.every(row => row.n > 0)).toBe(true)
  })

  it.each([
    ['a counter of zero', { counter: 0, blob: 'A'.repeat(60) }, 422],
    ['a counter that is not an integer', { counter: 2.5, blob: 'A'.repeat(60) }, 422],
    ['a counter given as text', { counter: '7', blob: 'A'.repeat(60) }, 422],
    ['a counter beyond 32 bits', { counter: 2 ** 40, blob: 'A'.repeat(60) }, 422],
    ['a blob with characters outside base64url', { counter: 7, blob: `${'A'.repeat(59)}=` }, 422],
    ['a blob too short to hold a nonce and a tag', { counter: 7, blob: 'A'.repeat(20) }, 422],
    ['a blob over the cap', { counter: 7, blob: 'A'.repeat(24_001) }, 422],
    ['an unknown field', { counter: 7, blob: 'A'.repeat(60), userId: randomUUID() }, 422],
    ['no body fields at all', {}, 422],
  ])('refuses %s with a French 4xx and stores nothing', async (_case, body, status) => {
    const before = (await getPage(app, PATH, { cookie: cookieOf(alice) })).json
    const response = await postJson(app, PATH, body, { cookie: cookieOf(alice) })
    expect(response.status, response.text).toBe(status)
    expect(response.json?.error).toMatch(/^Formulaire incomplet ou invalide : [A-ZÀ-Ý]/)
    expect(response.json?.error).not.toMatch(/Expected|Required|Invalid/)
    expect((await getPage(app, PATH, { cookie: cookieOf(alice) })).json).toEqual(before)
  })

  it('refuses a body that is not JSON, or too large, in French', async () => {
    const notJson = await send(app, PATH, { body: 'counter=1', cookie: cookieOf(alice), headers: { 'Content-Type': 'application/json', Origin: app.url } })
    expect(notJson.status).toBe(400)
    expect(notJson.json?.error).toMatch(/JSON valide/)
    const huge = await send(app, PATH, { body: JSON.stringify({ counter: 9, blob: 'A'.repeat(70_000) }), cookie: cookieOf(alice), headers: { 'Content-Type': 'application/json', Origin: app.url } })
    expect(huge.status).toBe(413)
    expect(huge.json?.error).toMatch(/trop volumineuse/)
    const form = await send(app, PATH, { body: 'counter=1', cookie: cookieOf(alice), headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: app.url } })
    expect(form.status).toBe(415)
  })
})

import { randomUUID } from 'node:crypto'
import { count, eq } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { charterHash } from '#charter/hash.ts'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { insertCell, upsertActiveMembership } from '#db/cells.ts'
import { auditQueue, users } from '#db/schema.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Fail-closed (issue 6, DESIGN §11): when the journal cannot be written, the request fails with a
 * 503 and returns none of what it would have served; when it comes back, so does access.
 * The failure is simulated by a trigger that rejects every insert into the queue (a full disk,
 * a revoked privilege), created through the owner's connection.
 */
let app: InProcessApp
let coordinator: AccountFixture
let cellId: string

async function asOwner(statements: string[]) {
  if (app.database.url) {
    const client = new pg.Client({ connectionString: app.database.url })
    await client.connect()
    try {
      for (const statement of statements) await client.query(statement)
    } finally {
      await client.end()
    }
    return
  }
  for (const statement of statements) await app.database.handle.db.execute(statement)
}

const BREAK = [
  `create or replace function test_audit_unavailable() returns trigger language plpgsql as $$ begin raise exception 'journal unavailable (test)'; end $$`,
  'create trigger test_audit_unavailable before insert on audit_queue for each row execute function test_audit_unavailable()',
]
const REPAIR = ['drop trigger test_audit_unavailable on audit_queue']

beforeAll(async () => {
  app = await startInProcessApp()
  const db = app.database.handle.db
  coordinator = await createAccountFixture(app.runtime, { email: 'coordination@fail-closed.fr', password: 'mot-de-passe-coord-9', displayName: 'Camille Coordination', profession: 'medecin' })
  const cell = await insertCell(db, {
    slug: `fail-closed-${randomUUID().slice(0, 8)}`,
    name: 'Cellule de test fail-closed',
    communes: ['Sevran'],
    hostInstitution: 'Ville de Sevran',
    dpoContact: 'dpo@sevran.fr',
    createdBy: null,
    charter: DEFAULT_CHARTER,
    charterHash: await charterHash(DEFAULT_CHARTER),
  })
  cellId = cell.id
  await upsertActiveMembership(db, { cellId, userId: coordinator.userId, role: 'coordinator' })
})
afterAll(async () => {
  await app?.close()
})

async function queued() {
  const [row] = await app.database.handle.db.select({ total: count() }).from(auditQueue)
  return row?.total ?? 0
}

describe('a journal that cannot be written refuses access', () => {
  it('serves the charter page and the roster API while the journal works, and records each access', async () => {
    const cookie = `cellule_session=${coordinator.sessionToken}`
    const before = await queued()
    const page = await fetch(`${app.url}/cellules/${cellId}/charte`, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Charte')
    const api = await fetch(`${app.url}/api/cells/${cellId}/roster`, { headers: { cookie } })
    expect(api.status).toBe(200)
    expect(await queued()).toBe(before + 2)
  })

  it('answers 503 with a French message and no content when the audit write fails, then recovers', async () => {
    const cookie = `cellule_session=${coordinator.sessionToken}`
    const before = await queued()
    await asOwner(BREAK)
    try {
      const page = await fetch(`${app.url}/cellules/${cellId}/charte`, { headers: { cookie } })
      const pageBody = await page.text()
      expect(page.status).toBe(503)
      expect(pageBody).toContain('journal d’accès est momentanément indisponible')
      // None of the charter's text reached the browser.
      expect(pageBody).not.toContain(DEFAULT_CHARTER.sections[0]!.title)
      const api = await fetch(`${app.url}/api/cells/${cellId}/roster`, { headers: { cookie } })
      expect(api.status).toBe(503)
      const body = (await api.json()) as Record<string, unknown>
      expect(Object.keys(body)).toEqual(['error'])
      expect(String(body.error)).toMatch(/journal d’accès/)
      // A mutation is refused before it changes anything.
      const sign = await fetch(`${app.url}/api/cells/${cellId}/charter/sign`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', origin: app.url },
        body: JSON.stringify({ version: 1, hash: 'f'.repeat(64), signature: 'A'.repeat(86) }),
      })
      expect(sign.status).toBe(503)
    } finally {
      await asOwner(REPAIR)
    }
    expect(await queued()).toBe(before)
    const again = await fetch(`${app.url}/cellules/${cellId}/charte`, { headers: { cookie } })
    expect(again.status).toBe(200)
    expect(await queued()).toBe(before + 1)
    // The fixture account is untouched by the refused requests.
    const [user] = await app.database.handle.db.select({ id: users.id }).from(users).where(eq(users.id, coordinator.userId))
    expect(user?.id).toBe(coordinator.userId)
  })
})

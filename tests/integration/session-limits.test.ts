import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { charterSchema, type CharterRulesInput } from '#charter/schema.ts'
import { insertCell, insertCharterVersion, markMembershipRemoved, upsertActiveMembership } from '#db/cells.ts'
import { sessions } from '#db/schema.ts'
import { hashToken } from '#db/tokens.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { postJson, SESSION_COOKIE } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * Issue 10, « Documents that say what the code does not do »: the charter's idleTimeoutMinutes and
 * absoluteSessionHours were documented as tightening sessions, but the session code hard-coded
 * 15 min / 12 h. A session's limits are now the strictest among the current charters of the cells
 * where the user is an active member (15 min / 12 h otherwise). Time moves by editing the session
 * row, never by sleeping.
 */

const MINUTE = 60_000
let app: InProcessApp
const db = () => app.database.handle.db

beforeAll(async () => {
  app = await startInProcessApp()
})
afterAll(async () => {
  await app?.close()
})

let accounts = 0
async function account(): Promise<AccountFixture> {
  accounts += 1
  return createAccountFixture(app.runtime, { email: `session.${accounts}.${randomUUID().slice(0, 6)}@exemple.fr`, password: 'mot-de-passe-session-1', displayName: `Personne ${accounts}`, profession: 'infirmier' })
}

function charterWith(rules: Partial<CharterRulesInput>, version = 1) {
  return charterSchema.parse({ ...DEFAULT_CHARTER, version, rules: { ...DEFAULT_CHARTER.rules, ...rules } })
}

async function cellWith(rules: Partial<CharterRulesInput>) {
  const charter = charterWith(rules)
  return insertCell(db(), {
    slug: `limites-${randomUUID().slice(0, 8)}`,
    name: 'Cellule aux limites',
    communes: ['Sevran'],
    hostInstitution: 'Ville de Sevran',
    dpoContact: 'dpo@sevran.fr',
    createdBy: null,
    charter,
    charterHash: await charterHash(charter),
  })
}

const join = (cellId: string, person: AccountFixture) => upsertActiveMembership(db(), { cellId, userId: person.userId, role: 'member' })

/** The session was last active `idleMs` ago; its stored deadline is what the platform's 15 minutes gave then. */
async function idleFor(person: AccountFixture, idleMs: number) {
  const lastActivityAt = new Date(Date.now() - idleMs)
  await db()
    .update(sessions)
    .set({ lastActivityAt, expiresAt: new Date(lastActivityAt.getTime() + 15 * MINUTE) })
    .where(eq(sessions.id, hashToken(person.sessionToken)))
}

async function openedAgo(person: AccountFixture, ageMs: number) {
  const createdAt = new Date(Date.now() - ageMs)
  await db()
    .update(sessions)
    .set({ createdAt, absoluteExpiresAt: new Date(createdAt.getTime() + 12 * 60 * MINUTE) })
    .where(eq(sessions.id, hashToken(person.sessionToken)))
}

async function status(person: AccountFixture): Promise<{ active: boolean; expiresAt?: string }> {
  const response = await postJson(app, '/api/session', {}, { cookie: `${SESSION_COOKIE}=${person.sessionToken}` })
  expect(response.status).toBe(200)
  return response.json as { active: boolean; expiresAt?: string }
}

async function sessionRow(person: AccountFixture) {
  const [row] = await db().select().from(sessions).where(eq(sessions.id, hashToken(person.sessionToken)))
  return row
}

describe('session limits set by the charters of the user’s cells', () => {
  it('a member of a cell whose charter sets 5 minutes is signed out after 6 idle minutes; a non-member is not', async () => {
    const cell = await cellWith({ idleTimeoutMinutes: 5 })
    const [member, outsider] = await Promise.all([account(), account()])
    await join(cell.id, member)
    await idleFor(member, 6 * MINUTE)
    await idleFor(outsider, 6 * MINUTE)

    expect(await status(member)).toEqual({ active: false })
    expect(await sessionRow(member)).toBeUndefined()

    const kept = await status(outsider)
    expect(kept.active).toBe(true)
    // The outsider's request was activity: the platform's 15 minutes from now.
    expect(Date.parse(kept.expiresAt ?? '') - Date.now()).toBeGreaterThan(14 * MINUTE)
  })

  it('within the limit, the deadline answered to the page is the charter’s, not the platform’s', async () => {
    const cell = await cellWith({ idleTimeoutMinutes: 5 })
    const member = await account()
    await join(cell.id, member)
    await idleFor(member, 4 * MINUTE)
    const kept = await status(member)
    expect(kept.active).toBe(true)
    const left = Date.parse(kept.expiresAt ?? '') - Date.now()
    expect(left).toBeGreaterThan(4 * MINUTE)
    expect(left).toBeLessThanOrEqual(5 * MINUTE)
    expect((await sessionRow(member))?.expiresAt.getTime()).toBe(Date.parse(kept.expiresAt ?? ''))
  })

  it('the strictest of several cells applies; a removed membership no longer counts', async () => {
    const [tenMinutes, sevenMinutes, fiveMinutes] = await Promise.all([cellWith({ idleTimeoutMinutes: 10 }), cellWith({ idleTimeoutMinutes: 7 }), cellWith({ idleTimeoutMinutes: 5 })])
    const [inBoth, removed] = await Promise.all([account(), account()])
    await join(tenMinutes.id, inBoth)
    await join(sevenMinutes.id, inBoth)
    await idleFor(inBoth, 8 * MINUTE)
    expect(await status(inBoth)).toEqual({ active: false })

    await join(fiveMinutes.id, removed)
    await markMembershipRemoved(db(), { cellId: fiveMinutes.id, userId: removed.userId })
    await idleFor(removed, 6 * MINUTE)
    expect((await status(removed)).active).toBe(true)
  })

  it('a stricter charter version published later applies to sessions already open, at their next request', async () => {
    const cell = await cellWith({})
    const member = await account()
    await join(cell.id, member)
    await idleFor(member, 6 * MINUTE)
    expect((await status(member)).active).toBe(true)

    const next = charterWith({ idleTimeoutMinutes: 5 }, 2)
    await insertCharterVersion(db(), { cellId: cell.id, version: 2, content: next, hash: await charterHash(next), publishedBy: member.userId })
    await idleFor(member, 6 * MINUTE)
    expect(await status(member)).toEqual({ active: false })
  })

  it('a charter of 1 hour at most ends a member’s session opened 90 minutes ago, however active; a non-member’s lives on', async () => {
    const cell = await cellWith({ absoluteSessionHours: 1 })
    const [member, outsider, recent] = await Promise.all([account(), account(), account()])
    await join(cell.id, member)
    await join(cell.id, recent)
    await openedAgo(member, 90 * MINUTE)
    await openedAgo(outsider, 90 * MINUTE)
    expect(await status(member)).toEqual({ active: false })
    expect((await status(outsider)).active).toBe(true)

    // Opened 55 minutes ago: the answered deadline is the absolute one, 5 minutes away, and it is stored.
    await openedAgo(recent, 55 * MINUTE)
    const kept = await status(recent)
    const left = Date.parse(kept.expiresAt ?? '') - Date.now()
    expect(left).toBeGreaterThan(4 * MINUTE)
    expect(left).toBeLessThanOrEqual(5 * MINUTE)
    const row = await sessionRow(recent)
    expect(row && row.absoluteExpiresAt.getTime() - row.createdAt.getTime()).toBe(60 * MINUTE)
  })
})

import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { type Charter } from '#charter/schema.ts'
import { findCellInvitation, findCharterVersion, insertCell, insertCellInvitation, listCharterVersions, listOpenCellInvitations, recordInvitationAnswer } from '#db/cells.ts'
import { StoredValueError } from '#db/stored-value.ts'
import { cellCharters, cellInvitations, type StoredInvitationAnswer } from '#db/schema.ts'
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts'

/**
 * Issue 10, « The database boundary is ambient and untyped »: JSON columns were bare `jsonb` cast at
 * each use (`as Charter`, `as never`). The query helpers now parse them with their zod schema:
 * callers get typed, validated values, and a row altered in the database is an error, not a value.
 */

let database: TestDatabase
const db = () => database.handle.db

beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => {
  await database.cleanup()
})

async function cellWithDefaultCharter() {
  return insertCell(db(), {
    slug: `json-${randomUUID().slice(0, 8)}`,
    name: 'Cellule JSON',
    communes: ['Sevran'],
    hostInstitution: 'Ville de Sevran',
    dpoContact: 'dpo@sevran.fr',
    createdBy: null,
    charter: DEFAULT_CHARTER,
    charterHash: await charterHash(DEFAULT_CHARTER),
  })
}

const setContent = (cellId: string, json: string) =>
  db().update(cellCharters).set({ content: sql`${json}::jsonb` }).where(and(eq(cellCharters.cellId, cellId), eq(cellCharters.version, 1)))

describe('charter versions come back parsed', () => {
  it('gives the charter as the schema outputs it, typed', async () => {
    const cell = await cellWithDefaultCharter()
    const found = await findCharterVersion(db(), { cellId: cell.id, version: 1 })
    expectTypeOf(found!.content).toEqualTypeOf<Charter>()
    expect(found?.content).toEqual(DEFAULT_CHARTER)
    expect((await listCharterVersions(db(), cell.id)).map(version => version.content)).toEqual([DEFAULT_CHARTER])
  })

  it('fills the defaults a stored version lacks', async () => {
    const cell = await cellWithDefaultCharter()
    const { feedbackDeadlineDays: _omitted, ...rules } = DEFAULT_CHARTER.rules
    await setContent(cell.id, JSON.stringify({ ...DEFAULT_CHARTER, rules }))
    expect((await findCharterVersion(db(), { cellId: cell.id, version: 1 }))?.content.rules.feedbackDeadlineDays).toBe(30)
  })

  it('refuses a version altered in the database below the legal floor or out of shape', async () => {
    const cell = await cellWithDefaultCharter()
    await setContent(cell.id, JSON.stringify({ ...DEFAULT_CHARTER, rules: { ...DEFAULT_CHARTER.rules, idleTimeoutMinutes: 240 } }))
    await expect(findCharterVersion(db(), { cellId: cell.id, version: 1 })).rejects.toThrow(StoredValueError)
    await expect(listCharterVersions(db(), cell.id)).rejects.toThrow(/cell_charters\(.*, 1\)\.content does not match its schema \(rules\.idleTimeoutMinutes/)
    await setContent(cell.id, '"une chaîne"')
    await expect(findCharterVersion(db(), { cellId: cell.id, version: 1 })).rejects.toThrow(StoredValueError)
  })
})

describe('invitation answers come back parsed', () => {
  it('gives the stored answer typed, and refuses one altered in the database', async () => {
    const cell = await cellWithDefaultCharter()
    const invitation = await insertCellInvitation(db(), { cellId: cell.id, kind: 'member', email: 'reponse@exemple.fr', role: 'member', createdBy: null, expiresAt: new Date(Date.now() + 3_600_000) })
    expect((await findCellInvitation(db(), invitation.id))?.answer).toBeNull()
    const answer: StoredInvitationAnswer = { memberId: randomUUID(), signPublicKey: 'c2lnbg', boxPublicKey: 'Ym94', proof: 'cHJldXZl' }
    expect(await recordInvitationAnswer(db(), { invitationId: invitation.id, userId: answer.memberId, answer })).toBe(true)
    const found = await findCellInvitation(db(), invitation.id)
    expectTypeOf(found!.answer).toEqualTypeOf<StoredInvitationAnswer | null>()
    expect(found?.answer).toEqual(answer)
    await db().update(cellInvitations).set({ answer: sql`'{"memberId": 3}'::jsonb` }).where(eq(cellInvitations.id, invitation.id))
    await expect(findCellInvitation(db(), invitation.id)).rejects.toThrow(StoredValueError)
    await expect(listOpenCellInvitations(db(), cell.id)).rejects.toThrow(/cell_invitations\(.*\)\.answer does not match its schema/)
  })
})

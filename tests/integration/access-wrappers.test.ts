import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { type Database } from '#db/database.ts'
import { insertCell } from '#db/cells.ts'
import { instanceSecrets } from '#db/schema.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { requireSituationPermission, withPublicAction, type SituationFacts } from '#app/access/authorize.server.ts'
import { HttpError } from '#app/access/http-error.ts'
import { createAccountFixture, type AccountFixture } from '#tests/support/account-factory.ts'
import { resetThrottles } from '#tests/support/account-fixtures.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/**
 * The two wrappers the situation and saisine issues will use, called as a route would (a real
 * Request, the real database, the real policy and journal): a situation's policy facts come from
 * the route's loader inside the decision's transaction; a public action is throttled and is
 * journaled in the same transaction as its work, or does not happen.
 */

let app: InProcessApp
let coordinator: AccountFixture
let member: AccountFixture
let cellId = ''
const db = () => app.database.handle.db

const request = (path: string, cookie?: string) => new Request(`http://cellule.test${path}`, { headers: cookie ? { cookie: `cellule_session=${cookie}` } : {} })

async function journalRows(): Promise<{ action: string; outcome: string; detail: { actorUserId: string | null; reason?: string; resource?: string } }[]> {
  const result = (await db().execute(
    sql`select q.action, q.outcome, d.detail from audit_queue q join audit_details d using (event_id) order by q.occurred_at_ms, q.event_id`,
  )) as unknown as { rows: { action: string; outcome: string; detail: { actorUserId: string | null; reason?: string; resource?: string } }[] }
  return result.rows
}

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof HttpError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

beforeAll(async () => {
  app = await startInProcessApp()
  ;[coordinator, member] = await Promise.all([
    createAccountFixture(app.runtime, { email: 'coordination.acces@ville.fr', password: `mot-de-passe-${randomUUID()}`, displayName: 'Dr Côme Coordination', profession: 'medecin' }),
    createAccountFixture(app.runtime, { email: 'membre.acces@departement.fr', password: `mot-de-passe-${randomUUID()}`, displayName: 'Maëlle Membre', profession: 'assistant_service_social' }),
  ])
  const cell = await insertCell(db(), { slug: `acces-${randomUUID().slice(0, 8)}`, name: 'Cellule des accès', communes: ['Sevran'], hostInstitution: 'Ville de Sevran', dpoContact: 'dpo@sevran.fr', createdBy: null, charter: DEFAULT_CHARTER, charterHash: await charterHash(DEFAULT_CHARTER) })
  cellId = cell.id
  expect(await foundDemoCell({ db: db(), cellId, members: [{ ...coordinator.keys, role: 'coordinator' }, { ...member.keys, role: 'member' }] })).toBe(true)
})
afterAll(async () => {
  await app?.close()
})

describe('requireSituationPermission', () => {
  const situationId = randomUUID()
  const facts =
    (overrides: Partial<{ participantIds: string[]; legalBasisRecorded: boolean; objection: boolean }>): SituationFacts =>
    async (tx, cell) => {
      // Read in the decision's transaction, as a route's loader of situation facts will.
      expect((tx as Database).execute).toBeTypeOf('function')
      return { kind: 'situation', cellId: cell.id, situationId, participantIds: [], legalBasisRecorded: true, objection: false, breakGlassActiveFor: [], ...overrides }
    }

  it('lets a participant read the nominative layer, journaled with the situation as resource', async () => {
    const principal = await requireSituationPermission({ context: { runtime: app.runtime }, request: request(`/cellules/${cellId}/situations/${situationId}`, member.sessionToken), cellId, situationId, action: 'situation:read:nominative', facts: facts({ participantIds: [member.userId] }) })
    expect(principal.userId).toBe(member.userId)
    const last = (await journalRows()).at(-1)
    expect(last).toMatchObject({ outcome: 'success', detail: { actorUserId: member.userId, resource: `situation:${situationId}` } })
  })

  it('refuses a non-participant, and anyone once an objection is recorded, with the policy’s reason, journaled as denied', async () => {
    const notParticipant = await refusal(requireSituationPermission({ context: { runtime: app.runtime }, request: request('/x', member.sessionToken), cellId, situationId, action: 'situation:read:nominative', facts: facts({ participantIds: [] }) }))
    expect(notParticipant.status).toBe(403)
    expect(notParticipant.errorBody.reason).toBe('not_participant')
    expect((await journalRows()).at(-1)).toMatchObject({ action: 'authz.denied', outcome: 'denied' })

    const objection = await refusal(requireSituationPermission({ context: { runtime: app.runtime }, request: request('/x', member.sessionToken), cellId, situationId, action: 'situation:read:nominative', facts: facts({ participantIds: [member.userId], objection: true }) }))
    expect(objection.errorBody.reason).toBe('objection')
    expect(objection.errorBody.error).toMatch(/[éèàç]/)
  })

  it('answers 404 for a situation its loader does not find in the cell, and for an id that is not a UUID', async () => {
    const missing = await refusal(requireSituationPermission({ context: { runtime: app.runtime }, request: request('/x', member.sessionToken), cellId, situationId, action: 'situation:read:pseudonymised', facts: async () => undefined }))
    expect(missing.status).toBe(404)
    const invalid = await refusal(requireSituationPermission({ context: { runtime: app.runtime }, request: request('/x', member.sessionToken), cellId, situationId: 'pas-un-uuid', action: 'situation:read:pseudonymised', facts: facts({}) }))
    expect(invalid.status).toBe(404)
  })
})

describe('withPublicAction', () => {
  it('runs the work and its journal event in one transaction, with no actor', async () => {
    await resetThrottles(app)
    const name = `test_public_${randomUUID().slice(0, 8)}`
    const result = await withPublicAction({
      request: new Request('http://cellule.test/adresser/x', { method: 'POST' }),
      context: { runtime: app.runtime, clientIp: '203.0.113.7', requestId: randomUUID() },
      cellId,
      audit: { action: 'authz.granted', resource: 'intake' },
      work: async tx => {
        await tx.insert(instanceSecrets).values({ name, value: 'x' })
        return 'fait'
      },
    })
    expect(result).toBe('fait')
    expect((await journalRows()).at(-1)).toMatchObject({ action: 'authz.granted', outcome: 'success', detail: { actorUserId: null, resource: 'intake' } })
  })

  it('a failed work leaves neither its writes nor a journal event', async () => {
    await resetThrottles(app)
    const before = (await journalRows()).length
    const name = `test_public_${randomUUID().slice(0, 8)}`
    await expect(
      withPublicAction({
        request: new Request('http://cellule.test/adresser/x', { method: 'POST' }),
        context: { runtime: app.runtime, clientIp: '203.0.113.8' },
        cellId,
        audit: { action: 'authz.granted', resource: 'intake' },
        work: async tx => {
          await tx.insert(instanceSecrets).values({ name, value: 'x' })
          throw new HttpError(422, 'Formulaire incomplet.')
        },
      }),
    ).rejects.toBeInstanceOf(HttpError)
    expect((await journalRows()).length).toBe(before)
    const rows = (await db().execute(sql`select count(*)::int as n from instance_secrets where name = ${name}`)) as unknown as { rows: { n: number }[] }
    expect(rows.rows[0]?.n).toBe(0)
  })

  it('throttles a flood from one address with a French 429, and not another address', async () => {
    await resetThrottles(app)
    const call = (ip: string) =>
      withPublicAction({ request: new Request('http://cellule.test/adresser/x', { method: 'POST' }), context: { runtime: app.runtime, clientIp: ip }, cellId, audit: { action: 'authz.granted', resource: 'intake' }, work: async () => 'ok' })
    const statuses: number[] = []
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        await call('198.51.100.1')
        statuses.push(200)
      } catch (error) {
        if (!(error instanceof HttpError)) throw error
        statuses.push(error.status)
        expect(error.errorBody.error).toMatch(/^Trop de tentatives/)
      }
    }
    expect(statuses.filter(status => status === 200).length).toBeGreaterThanOrEqual(30)
    expect(statuses.at(-1)).toBe(429)
    expect(await call('198.51.100.2')).toBe('ok')
  })
})

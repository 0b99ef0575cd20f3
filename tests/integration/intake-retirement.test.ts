import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { insertCell } from '#db/cells.ts'
import { HttpError } from '#app/access/http-error.ts'
import { requireOpenIntakeKey } from '#app/cells/intake.server.ts'
import { loadRoster } from '#app/cells/roster.server.ts'
import { foundDemoCell } from '#server/demo/founding.ts'
import { createAccountFixture } from '#tests/support/account-factory.ts'
import { startInProcessApp, type InProcessApp } from '#tests/support/in-process-app.ts'

/** Issue 13 item 1: the server refuses referrals sealed to a retired or expired intake key. */
describe('intake key retirement, enforced by the server', () => {
  let app: InProcessApp
  let cellId: string
  const db = () => app.database.handle.db

  beforeAll(async () => {
    app = await startInProcessApp()
    const suffix = randomUUID().slice(0, 6)
    const [first, second, member] = await Promise.all([
      createAccountFixture(app.runtime, { email: `tri.1.${suffix}@ville.fr`, password: 'mot-de-passe-tri-1', displayName: 'Dr Tri Un', profession: 'medecin' }),
      createAccountFixture(app.runtime, { email: `tri.2.${suffix}@ville.fr`, password: 'mot-de-passe-tri-2', displayName: 'Dr Tri Deux', profession: 'medecin' }),
      createAccountFixture(app.runtime, { email: `membre.${suffix}@ville.fr`, password: 'mot-de-passe-membre-3', displayName: 'Marie Membre', profession: 'infirmier' }),
    ])
    const cell = await insertCell(db(), { slug: `tri-${suffix}`, name: 'Cellule du tri', communes: ['Sevran'], hostInstitution: 'Ville de Sevran', dpoContact: 'dpo@sevran.fr', createdBy: null, charter: DEFAULT_CHARTER, charterHash: await charterHash(DEFAULT_CHARTER) })
    cellId = cell.id
    // The second coordinator's arrival changes the triage set: intake key 1 retires key 0.
    expect(await foundDemoCell({ db: db(), cellId, members: [{ ...first.keys, role: 'coordinator' }, { ...second.keys, role: 'coordinator' }, { ...member.keys, role: 'member' }] })).toBe(true)
  })
  afterAll(async () => {
    await app?.close()
  })

  it('accepts the current key, refuses the retired one and an expired one with a French 409', async () => {
    const { state } = await loadRoster(db(), cellId)
    expect(state?.currentIntakeIndex).toBe(1)
    expect((await requireOpenIntakeKey({ db: db(), cellId, index: 1 })).index).toBe(1)
    const refusal = async (run: () => Promise<unknown>) => {
      try {
        await run()
      } catch (error) {
        return error
      }
      return undefined
    }
    for (const error of [
      await refusal(() => requireOpenIntakeKey({ db: db(), cellId, index: 0 })),
      await refusal(() => requireOpenIntakeKey({ db: db(), cellId, index: 1, nowMs: (state?.intakeKeys.get(1)?.notAfterMs ?? 0) + 1 })),
      await refusal(() => requireOpenIntakeKey({ db: db(), cellId, index: 7 })),
    ]) {
      expect(error).toBeInstanceOf(HttpError)
      expect((error as HttpError).status).toBe(409)
      expect((error as HttpError).errorBody.error).toMatch(/rechargez-la/)
    }
  })
})

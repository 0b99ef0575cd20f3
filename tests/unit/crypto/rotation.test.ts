import { initCrypto, planRotation, type MemberRole, type RotationOperation, type SituationAccess } from '#crypto/index.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildCell, makeMember } from './helpers.ts'

beforeAll(async () => {
  await initCrypto()
})

function count(operations: RotationOperation[], type: RotationOperation['type']): number {
  return operations.filter((operation) => operation.type === type).length
}

function cellOf({ members, roles }: { members: number; roles?: (index: number) => MemberRole }) {
  const others = Array.from({ length: members - 1 }, (_, index) => makeMember({ memberId: `m${index}`, role: roles?.(index) ?? 'member' }))
  return buildCell({ cellId: 'c', others })
}

function situationsOf({ count: situationCount, participants }: { count: number; participants: (index: number) => string[] }): SituationAccess[] {
  return Array.from({ length: situationCount }, (_, index) => ({ situationId: `s${index}`, keyEpoch: 0, nominativeKeyEpoch: 0, participantIds: participants(index) }))
}

describe('rotation planner', () => {
  it('removal: exactly members + situations operations, never members × situations (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 3 }), (members, situationCount, participantsPerSituation) => {
        const cell = cellOf({ members })
        const situations = situationsOf({ count: situationCount, participants: (index) => Array.from({ length: participantsPerSituation }, (_, offset) => `m${(index + offset) % (members - 1)}`) })
        const plan = planRotation({ state: cell.getState(), change: { type: 'remove_member', memberId: 'm0' }, situations })
        const affectedNominative = situations.filter((situation) => situation.participantIds.includes('m0'))
        expect(count(plan.operations, 'seal_cell_epoch_key')).toBe(members - 1)
        expect(count(plan.operations, 'create_situation_key')).toBe(situationCount)
        expect(count(plan.operations, 'wrap_situation_key')).toBe(situationCount)
        expect(count(plan.operations, 'create_nominative_key')).toBe(affectedNominative.length)
        expect(count(plan.operations, 'seal_nominative_key')).toBe(affectedNominative.reduce((sum, situation) => sum + situation.participantIds.filter((id) => id !== 'm0').length, 0))
        expect(count(plan.operations, 'create_intake_key_pair')).toBe(1)
        expect(plan.operations.some((operation) => 'recipientId' in operation && operation.recipientId === 'm0')).toBe(false)
        expect(plan.operations.length).toBeLessThanOrEqual(8 + members + 2 * situationCount + affectedNominative.length * (1 + participantsPerSituation))
      }),
      { numRuns: 40 },
    )
  })

  it('downgrade to associate rotates only the nominative keys the member held', () => {
    const cell = cellOf({ members: 6 })
    const situations = situationsOf({ count: 10, participants: (index) => (index < 3 ? ['m0', 'm1'] : ['m1', 'm2']) })
    const plan = planRotation({ state: cell.getState(), change: { type: 'set_role', memberId: 'm0', role: 'associate' }, situations })
    expect(plan.newCellEpoch).toBeUndefined()
    expect(count(plan.operations, 'create_cell_epoch_key')).toBe(0)
    expect(count(plan.operations, 'create_nominative_key')).toBe(3)
    expect(count(plan.operations, 'seal_nominative_key')).toBe(3)
  })

  it('downgrade to DPO is a full rotation without the DPO; promotions cost nothing', () => {
    const cell = cellOf({ members: 5, roles: (index) => (index === 3 ? 'dpo' : 'member') })
    const situations = situationsOf({ count: 4, participants: () => ['m0'] })
    const toDpo = planRotation({ state: cell.getState(), change: { type: 'set_role', memberId: 'm0', role: 'dpo' }, situations })
    expect(toDpo.newCellEpoch).toBe(0)
    expect(count(toDpo.operations, 'seal_cell_epoch_key')).toBe(3)
    const promote = planRotation({ state: cell.getState(), change: { type: 'set_role', memberId: 'm1', role: 'coordinator' }, situations })
    expect(promote.operations).toEqual([{ type: 'append_roster_link', link: 'set_role' }])
  })
})

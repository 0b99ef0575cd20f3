import { changeEffects, createRosterLink, extendRoster, initCrypto, planRotation, signKeyChange, type MemberRole, type RosterChange, type RotationOperation, type SituationAccess } from '#crypto/index.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { author, buildCell, makeMember } from './helpers.ts'
import { T0, keyedCell } from './keyed-cell.ts'

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
        // The index key goes to the same people here: everyone left is a member or the coordinator.
        expect(count(plan.operations, 'seal_index_key')).toBe(members - 1)
        expect(count(plan.operations, 'create_situation_key')).toBe(situationCount)
        expect(count(plan.operations, 'wrap_situation_key')).toBe(situationCount)
        expect(count(plan.operations, 'create_nominative_key')).toBe(affectedNominative.length)
        expect(count(plan.operations, 'seal_nominative_key')).toBe(affectedNominative.reduce((sum, situation) => sum + situation.participantIds.filter((id) => id !== 'm0').length, 0))
        // m0 was no coordinator: the triage set is unchanged, so is the intake key.
        expect(count(plan.operations, 'create_intake_seed')).toBe(0)
        expect(plan.operations.some((operation) => 'recipientId' in operation && operation.recipientId === 'm0')).toBe(false)
        expect(plan.operations.length).toBeLessThanOrEqual(8 + 2 * members + 2 * situationCount + affectedNominative.length * (1 + participantsPerSituation))
      }),
      { numRuns: 40 },
    )
  })

  it('downgrade to associate: new epoch (fresh index key without them), the associate keeps the cell key, no situation key changes', () => {
    const cell = cellOf({ members: 6 })
    const situations = situationsOf({ count: 10, participants: (index) => (index < 3 ? ['m0', 'm1'] : ['m1', 'm2']) })
    const plan = planRotation({ state: cell.getState(), change: { type: 'set_role', memberId: 'm0', role: 'associate' }, situations })
    expect(plan.newCellEpoch).toBe(0)
    expect(plan.operations.filter((operation) => operation.type === 'seal_cell_epoch_key').map((operation) => 'recipientId' in operation && operation.recipientId)).toContain('m0')
    expect(plan.operations.filter((operation) => operation.type === 'seal_index_key').map((operation) => 'recipientId' in operation && operation.recipientId)).not.toContain('m0')
    expect(count(plan.operations, 'create_situation_key')).toBe(0)
    expect(count(plan.operations, 'create_nominative_key')).toBe(3)
    expect(count(plan.operations, 'seal_nominative_key')).toBe(3)
  })

  it('downgrade to DPO is a full rotation without the DPO; promotions cost one seal or a new intake key', () => {
    const cell = cellOf({ members: 5, roles: (index) => (index === 3 ? 'dpo' : index === 2 ? 'associate' : 'member') })
    const situations = situationsOf({ count: 4, participants: () => ['m0'] })
    const toDpo = planRotation({ state: cell.getState(), change: { type: 'set_role', memberId: 'm0', role: 'dpo' }, situations })
    expect(toDpo.newCellEpoch).toBe(0)
    expect(count(toDpo.operations, 'seal_cell_epoch_key')).toBe(3)
    const toMember = planRotation({ state: cell.getState(), change: { type: 'set_role', memberId: 'm2', role: 'member' }, situations })
    expect(toMember.operations).toEqual([{ type: 'append_roster_link', link: 'set_role' }, { type: 'seal_index_key', epoch: 0, recipientId: 'm2' }].slice(0, cell.getState().currentEpoch === undefined ? 1 : 2))
    const promote = planRotation({ state: cell.getState(), change: { type: 'set_role', memberId: 'm1', role: 'coordinator' }, situations })
    expect(promote.newIntakeIndex).toBe(0)
    expect(promote.operations.filter((operation) => operation.type === 'seal_intake_seed').map((operation) => 'recipientId' in operation && operation.recipientId)).toEqual(['founder', 'm1'])
  })

  it('the planner predicts exactly the roster’s requirements: rotation and intake rotation after each change (property)', () => {
    const roles: MemberRole[] = ['coordinator', 'member', 'associate', 'dpo']
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...roles), { minLength: 1, maxLength: 5 }), fc.nat(), fc.constantFrom('remove_member', 'set_role', 'key_change'), fc.constantFrom(...roles), (memberRoles, pick, type, role) => {
        const cell = keyedCell({ cellId: 'c' })
        memberRoles.forEach((memberRole, index) => cell.add({ memberId: `m${index}`, role: memberRole }))
        const target = `m${pick % memberRoles.length}`
        const person = cell.people.get(target)!
        const renewed = makeMember({ memberId: target, role: person.role })
        const keys = { memberId: target, signPublicKey: renewed.identity.signing.publicKey, boxPublicKey: renewed.identity.box.publicKey }
        const change: RosterChange =
          type === 'remove_member'
            ? { type, memberId: target }
            : type === 'set_role'
              ? { type, memberId: target, role }
              : { type, ...keys, selfSignature: signKeyChange({ cellId: 'c', keys, previous: { signPublicKey: person.identity.signing.publicKey, boxPublicKey: person.identity.box.publicKey }, newSignSecretKey: renewed.identity.signing.secretKey }) }
        const effects = changeEffects({ state: cell.getState(), change })
        const payload = change.type === 'set_role' ? { type: 'set_role' as const, memberId: target, role } : change
        let after
        try {
          after = extendRoster({ state: cell.getState(), links: [createRosterLink({ state: cell.getState(), author: author(cell.founder), payload, createdAtMs: T0 + 99 })] })
        } catch {
          return // e.g. removing the last coordinator: the roster refuses the change itself.
        }
        expect(after.rotationRequired).toBe(effects.newEpoch)
        expect(after.intakeRotationRequired).toBe(effects.newIntake)
        // And the executed plan leaves nothing pending.
        if (type === 'key_change') cell.people.set(target, renewed)
        cell.change({ by: 'founder', change })
        expect(cell.getState().rotationRequired).toBe(false)
        expect(cell.getState().intakeRotationRequired).toBe(false)
      }),
      { numRuns: 40 },
    )
  })
})

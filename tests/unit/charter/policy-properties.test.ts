import { ACTIONS, actionScope, can, charterRulesSchema, type Action, type Actor, type Resource } from '#charter/index.ts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ACTOR_KINDS, ACTOR_KIND_NAMES, CELL, OTHER_CELL, RESOURCES, makeMember, situation } from './actors.ts'

const USERS = ['u1', 'u2', 'u3']
const cellId = fc.constantFrom(CELL, OTHER_CELL)

const actorArbitrary: fc.Arbitrary<Actor> = fc.record({
  userId: fc.option(fc.constantFrom(...USERS), { nil: null }),
  platformRole: fc.constantFrom('none' as const, 'platform_admin' as const),
  secondFactor: fc.boolean(),
  professionCategory: fc.constantFrom('health' as const, 'social' as const, 'none' as const),
  membership: fc.option(
    fc.record({
      cellId,
      role: fc.constantFrom('coordinator' as const, 'member' as const, 'associate' as const, 'dpo' as const),
      status: fc.constantFrom('invited' as const, 'active' as const, 'suspended' as const, 'removed' as const),
      signedCurrentCharter: fc.boolean(),
      signedEarlierCharter: fc.boolean(),
      needsReadmission: fc.boolean(),
    }),
    { nil: null }
  ),
})

const resourceArbitrary: fc.Arbitrary<Resource> = fc.oneof(
  fc.constant({ kind: 'platform' as const }),
  cellId.map(id => ({ kind: 'cell' as const, cellId: id })),
  cellId.map(id => ({ kind: 'referral' as const, cellId: id })),
  fc.record({
    kind: fc.constant('situation' as const),
    cellId,
    situationId: fc.constant('s1'),
    participantIds: fc.subarray(USERS),
    legalBasisRecorded: fc.boolean(),
    objection: fc.boolean(),
    breakGlassActiveFor: fc.subarray(USERS),
  })
)

const rulesArbitrary = fc.constantFrom(
  charterRulesSchema.parse({}),
  charterRulesSchema.parse({ nominativeAccessCategories: ['health'] }),
  charterRulesSchema.parse({ nominativeAccessCategories: ['social'] })
)

const actionArbitrary = fc.constantFrom(...ACTIONS)
const request = fc.record({ actor: actorArbitrary, action: actionArbitrary, resource: resourceArbitrary, rules: rulesArbitrary })

const isCellAction = (action: Action) => actionScope(action) === 'cell' || actionScope(action) === 'invitation'
const resourceCell = (resource: Resource) => (resource.kind === 'platform' ? null : resource.cellId)

describe('policy properties', () => {
  it('never throws and always explains a refusal', () => {
    fc.assert(
      fc.property(request, input => {
        const decision = can(input)
        if (!decision.allowed) {
          expect(decision.reason).toMatch(/^[a-z_0-9]+$/)
          expect(decision.message).toMatch(/^[A-ZÀ-Ý].{15,}\.$/)
        }
      }),
      { numRuns: 5000 }
    )
  })

  it('gives no cell action to anyone without a second factor', () => {
    fc.assert(
      fc.property(request, input => {
        fc.pre(!input.actor.secondFactor && isCellAction(input.action))
        expect(can(input).allowed).toBe(false)
      }),
      { numRuns: 2000 }
    )
  })

  it('gives no platform or cell action to an anonymous visitor', () => {
    fc.assert(
      fc.property(request, input => {
        fc.pre(input.actor.userId === null && actionScope(input.action) !== 'public')
        const decision = can(input)
        expect(decision.allowed).toBe(false)
        if (!decision.allowed) expect(['anonymous', 'wrong_resource']).toContain(decision.reason)
      }),
      { numRuns: 2000 }
    )
  })

  it('gives no cell action to a removed member or to a member of another cell', () => {
    fc.assert(
      fc.property(request, input => {
        const membership = input.actor.membership
        fc.pre(actionScope(input.action) === 'cell' && membership !== null)
        fc.pre(membership?.status === 'removed' || membership?.cellId !== resourceCell(input.resource))
        expect(can(input).allowed).toBe(false)
      }),
      { numRuns: 2000 }
    )
  })

  it('gives the platform admin no cell, situation, meeting or referral-handling action', () => {
    fc.assert(
      fc.property(request, input => {
        fc.pre(input.actor.platformRole === 'platform_admin' && isCellAction(input.action))
        expect(can(input).allowed).toBe(false)
      }),
      { numRuns: 2000 }
    )
  })

  it('never lets a DPO or an associate read nominative or medical content', () => {
    fc.assert(
      fc.property(request, fc.constantFrom('situation:read:nominative' as const, 'situation:read:medical' as const), (input, action) => {
        const role = input.actor.membership?.role
        fc.pre(role === 'dpo' || role === 'associate')
        expect(can({ ...input, action }).allowed).toBe(false)
      }),
      { numRuns: 2000 }
    )
  })

  it('gives the DPO nothing with keys or content', () => {
    const dpo = ACTOR_KINDS.dpo
    for (const action of ACTIONS) {
      if (actionScope(action) === 'public') continue
      for (const resource of Object.values(RESOURCES)) {
        const decision = can({ actor: dpo, action, resource })
        if (decision.allowed) expect(action).toMatch(/^cell:(home:read|members:read|roster:read|charter:read|charter:sign|audit:.+)$/)
      }
    }
  })

  it('lets an unsigned member only read the cell home, the roster (public keys, to check the charter) and read or sign the charter', () => {
    fc.assert(
      fc.property(request, input => {
        const membership = input.actor.membership
        fc.pre(membership !== null && !membership.signedCurrentCharter && !membership.signedEarlierCharter && actionScope(input.action) === 'cell')
        if (can(input).allowed) expect(['cell:home:read', 'cell:roster:read', 'cell:charter:read', 'cell:charter:sign']).toContain(input.action)
      }),
      { numRuns: 2000 }
    )
  })

  it('lets a member re-signing a new charter do no more than that, except a DPO who keeps reading the journal', () => {
    fc.assert(
      fc.property(request, input => {
        const membership = input.actor.membership
        fc.pre(membership !== null && !membership.signedCurrentCharter && membership.signedEarlierCharter && actionScope(input.action) === 'cell')
        if (!can(input).allowed) return
        if (input.action === 'cell:audit:read') expect(membership.role).toBe('dpo')
        else expect(['cell:home:read', 'cell:roster:read', 'cell:charter:read', 'cell:charter:sign']).toContain(input.action)
      }),
      { numRuns: 3000 }
    )
    const resigningDpo = makeMember({ userId: 'dpo', role: 'dpo', professionCategory: 'none', signedCurrentCharter: false, signedEarlierCharter: true })
    expect(can({ actor: resigningDpo, action: 'cell:audit:read', resource: RESOURCES.cell })).toEqual({ allowed: true })
    expect(can({ actor: resigningDpo, action: 'cell:audit:review', resource: RESOURCES.cell })).toMatchObject({ allowed: false, reason: 'charter_unsigned' })
    const newDpo = makeMember({ userId: 'dpo', role: 'dpo', professionCategory: 'none', signedCurrentCharter: false, signedEarlierCharter: false })
    expect(can({ actor: newDpo, action: 'cell:audit:read', resource: RESOURCES.cell })).toMatchObject({ allowed: false, reason: 'charter_unsigned' })
  })

  it('opens nominative content only to an eligible participant (or break-glass) with a legal basis and no objection', () => {
    // Biased towards active, signed members of the situation's cell, so that allowed cases are common.
    const likely = fc.record({
      actor: fc.record({
        userId: fc.constantFrom<string | null>('u1', 'u1', 'u1', null),
        platformRole: fc.constantFrom('none' as const, 'none' as const, 'platform_admin' as const),
        secondFactor: fc.constantFrom(true, true, false),
        professionCategory: fc.constantFrom('health' as const, 'social' as const, 'none' as const),
        membership: fc.record({
          cellId: fc.constantFrom(CELL, CELL, OTHER_CELL),
          role: fc.constantFrom('coordinator' as const, 'member' as const, 'associate' as const, 'dpo' as const),
          status: fc.constantFrom('active' as const, 'active' as const, 'invited' as const, 'suspended' as const, 'removed' as const),
          signedCurrentCharter: fc.constantFrom(true, true, false),
          signedEarlierCharter: fc.boolean(),
          needsReadmission: fc.constantFrom(false, false, true),
        }),
      }),
      resource: fc.record({
        kind: fc.constant('situation' as const),
        cellId: fc.constant(CELL),
        situationId: fc.constant('s1'),
        participantIds: fc.subarray(USERS),
        legalBasisRecorded: fc.boolean(),
        objection: fc.boolean(),
        breakGlassActiveFor: fc.subarray(USERS),
      }),
      rules: rulesArbitrary,
      action: fc.constantFrom('situation:read:nominative' as const, 'situation:read:medical' as const),
    })
    let allowedCount = 0
    fc.assert(
      fc.property(likely, input => {
        const decision = can(input)
        if (!decision.allowed) return
        allowedCount++
        const { actor, resource, rules, action } = input
        if (actor.userId === null) throw new Error('allowed to an anonymous visitor')
        expect(resource.legalBasisRecorded).toBe(true)
        expect(resource.objection).toBe(false)
        expect(resource.participantIds.includes(actor.userId) || resource.breakGlassActiveFor.includes(actor.userId)).toBe(true)
        expect(actor.membership).toMatchObject({
          cellId: resource.cellId,
          status: 'active',
          signedCurrentCharter: true,
          needsReadmission: false,
        })
        expect(['coordinator', 'member']).toContain(actor.membership.role)
        expect(actor.secondFactor).toBe(true)
        expect(actor.platformRole).toBe('none')
        if (action === 'situation:read:medical') expect(actor.professionCategory).toBe('health')
        else expect(rules.nominativeAccessCategories as string[]).toContain(actor.professionCategory)
      }),
      { numRuns: 20_000 }
    )
    expect(allowedCount).toBeGreaterThan(10)
  })

  it('has no dead action: each action is allowed to at least one kind of actor', () => {
    const resources: Resource[] = [...Object.values(RESOURCES), situation({ participantIds: [] })]
    for (const action of ACTIONS) {
      const allowedTo = ACTOR_KIND_NAMES.filter(kind =>
        resources.some(resource => can({ actor: ACTOR_KINDS[kind], action, resource }).allowed)
      )
      expect(allowedTo.length, action).toBeGreaterThan(0)
    }
  })
})

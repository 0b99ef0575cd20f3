import {
  ACTIONS,
  actionScope,
  allowedActions,
  can,
  charterRulesSchema,
  denyMessage,
  isEligibleParticipant,
  type Action,
  type Actor,
  type CharterRules,
  type DenyReason,
  type Resource,
} from '#charter/index.ts'
import { describe, expect, it } from 'vitest'
import { ACTOR_KINDS, ACTOR_KIND_NAMES, CELL, OTHER_CELL, RESOURCES, makeMember, situation, type ActorKind } from './actors.ts'

const TOKENS = {
  '✓': 'allowed',
  anon: 'anonymous',
  '2fa': 'second_factor_required',
  nm: 'not_member',
  oc: 'other_cell',
  rm: 'removed',
  sus: 'suspended',
  inv: 'invitation_pending',
  am: 'already_member',
  rd: 'needs_readmission',
  ch: 'charter_unsigned',
  role: 'role',
  adm: 'platform_admin_no_content',
  np: 'not_participant',
  nb: 'no_legal_basis',
  obj: 'objection',
  nh: 'not_health_professional',
  ns: 'not_secrecy_bound',
  ex: 'excluded_by_charter',
} as const satisfies Record<string, DenyReason | 'allowed'>

type Outcome = DenyReason | 'allowed'

const COLUMNS: ActorKind[] = [
  'anonymous',
  'platformAdmin',
  'outsider',
  'otherCell',
  'removed',
  'suspended',
  'invited',
  'noSecondFactor',
  'readmission',
  'unsigned',
  'coordinator',
  'member',
  'socialMember',
  'associate',
  'dpo',
]

// Columns: anonymous, platform admin, signed-in non-member, member of another cell, removed, suspended,
// invited, no second factor, awaiting re-admission, charter not signed, coordinator, member (health),
// member (social), associate, DPO. The situation has every one of them as participant, a legal basis
// and no objection, so that only roles and membership decide here.
const BLOCKED = 'anon adm nm oc rm sus inv 2fa'
const MATRIX: [Action, keyof typeof RESOURCES, string][] = [
  ['platform:cells:list', 'platform', 'anon ✓ role role role role role 2fa role role role role role role role'],
  ['platform:cell:create', 'platform', 'anon ✓ role role role role role 2fa role role role role role role role'],
  ['platform:cell:archive', 'platform', 'anon ✓ role role role role role 2fa role role role role role role role'],
  ['platform:invitation:create', 'platform', 'anon ✓ role role role role role 2fa role role role role role role role'],
  ['cell:home:read', 'cell', `${BLOCKED} ✓ ✓ ✓ ✓ ✓ ✓ ✓`],
  ['cell:charter:read', 'cell', `${BLOCKED} ✓ ✓ ✓ ✓ ✓ ✓ ✓`],
  ['cell:charter:sign', 'cell', `${BLOCKED} rd ✓ ✓ ✓ ✓ ✓ ✓`],
  ['cell:members:read', 'cell', `${BLOCKED} rd ch ✓ ✓ ✓ ✓ ✓`],
  ['cell:roster:read', 'cell', `${BLOCKED} rd ✓ ✓ ✓ ✓ ✓ ✓`],
  ['cell:roster:attest', 'cell', `${BLOCKED} rd ch ✓ ✓ ✓ ✓ role`],
  ['cell:keys:read', 'cell', `${BLOCKED} rd ch ✓ ✓ ✓ ✓ role`],
  ['cell:charter:publish', 'cell', `${BLOCKED} rd ch ✓ role role role role`],
  ['cell:member:invite', 'cell', `${BLOCKED} rd ch ✓ role role role role`],
  ['cell:member:confirm', 'cell', `${BLOCKED} rd ch ✓ role role role role`],
  ['cell:member:set-role', 'cell', `${BLOCKED} rd ch ✓ role role role role`],
  ['cell:member:remove', 'cell', `${BLOCKED} rd ch ✓ role role role role`],
  ['cell:member:readmit', 'cell', `${BLOCKED} rd ch ✓ role role role role`],
  ['cell:habilitation:review', 'cell', `${BLOCKED} rd ch ✓ role role role role`],
  ['cell:invitation:accept', 'cell', 'anon adm ✓ ✓ rm sus ✓ 2fa am am am am am am am'],
  ['cell:audit:read', 'cell', `${BLOCKED} rd ch role role role role ✓`],
  ['cell:audit:review', 'cell', `${BLOCKED} rd ch role role role role ✓`],
  ['cell:audit:export', 'cell', `${BLOCKED} rd ch role role role role ✓`],
  ['situation:list', 'cell', `${BLOCKED} rd ch ✓ ✓ ✓ ✓ role`],
  ['situation:create', 'cell', `${BLOCKED} rd ch ✓ ✓ ✓ role role`],
  ['situation:read:pseudonymised', 'situation', `${BLOCKED} rd ch ✓ ✓ ✓ ✓ role`],
  ['situation:read:nominative', 'situation', `${BLOCKED} rd ch ✓ ✓ ✓ role role`],
  ['situation:read:medical', 'situation', `${BLOCKED} rd ch ✓ ✓ nh role role`],
  ['situation:write', 'situation', `${BLOCKED} rd ch ✓ ✓ ✓ role role`],
  ['situation:participant:attach', 'situation', `${BLOCKED} rd ch ✓ role role role role`],
  ['situation:legal-basis:record', 'situation', `${BLOCKED} rd ch ✓ ✓ ✓ role role`],
  ['situation:break-glass', 'situation', `${BLOCKED} rd ch ✓ ✓ ✓ role role`],
  ['situation:close', 'situation', `${BLOCKED} rd ch ✓ role role role role`],
  ['situation:export:single', 'situation', `${BLOCKED} rd ch ✓ ✓ ✓ role role`],
  ['referral:submit', 'referral', '✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓'],
  ['referral:feedback:read', 'referral', '✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓'],
  ['referral:triage', 'referral', `${BLOCKED} rd ch ✓ role role role role`],
  ['referral:feedback:write', 'referral', `${BLOCKED} rd ch ✓ role role role role`],
  ['meeting:manage', 'cell', `${BLOCKED} rd ch ✓ role role role role`],
  ['meeting:attend', 'cell', `${BLOCKED} rd ch ✓ ✓ ✓ ✓ role`],
  ['meeting:proposals:write', 'cell', `${BLOCKED} rd ch ✓ ✓ ✓ role role`],
]

function outcome(decision: ReturnType<typeof can>): Outcome {
  return decision.allowed ? 'allowed' : decision.reason
}

const MATRIX_CASES = MATRIX.flatMap(([action, resource, row]) => {
  const tokens = row.split(' ')
  if (tokens.length !== COLUMNS.length) throw new Error(`row ${action} has ${tokens.length} cells`)
  return tokens.map((token, index) => {
    const expected = TOKENS[token as keyof typeof TOKENS]
    if (!expected) throw new Error(`unknown token ${token} in row ${action}`)
    return { action, resource, kind: COLUMNS[index] as ActorKind, expected }
  })
})

describe('authorization matrix', () => {
  it('has one row per action and one column per actor kind', () => {
    expect(MATRIX.map(([action]) => action).sort()).toEqual([...ACTIONS].sort())
    expect([...COLUMNS].sort()).toEqual([...ACTOR_KIND_NAMES].sort())
  })

  it.each(MATRIX_CASES)('$action by $kind on $resource → $expected', ({ action, resource, kind, expected }) => {
    expect(outcome(can({ actor: ACTOR_KINDS[kind], action, resource: RESOURCES[resource] }))).toBe(expected)
  })
})

describe('situations: need-to-know, legal basis, objection, profession', () => {
  const SITUATION_ACTIONS = [
    'situation:read:pseudonymised',
    'situation:read:nominative',
    'situation:read:medical',
    'situation:write',
    'situation:legal-basis:record',
    'situation:break-glass',
    'situation:export:single',
  ] as const satisfies Action[]

  const health = makeMember({ userId: 'nurse' })
  const social = makeMember({ userId: 'social-worker', professionCategory: 'social' })
  const unbound = makeMember({ userId: 'asv-coordinator', professionCategory: 'none' })
  const coordinator = makeMember({ userId: 'doctor', role: 'coordinator' })
  const healthOnly = charterRulesSchema.parse({ nominativeAccessCategories: ['health'] })

  // Columns: pseudonymised, nominative, medical, write, legal basis, break-glass, single export.
  const cases: [string, Actor, Resource, string, CharterRules?][] = [
    ['a participating nurse', health, situation({ participantIds: ['nurse'] }), '✓ ✓ ✓ ✓ ✓ ✓ ✓'],
    ['a nurse not attached', health, situation({ participantIds: ['other'] }), '✓ np np np np ✓ np'],
    ['a nurse under break-glass', health, situation({ participantIds: [], breakGlassActiveFor: ['nurse'] }), '✓ ✓ ✓ ✓ np ✓ np'],
    [
      'a nurse while someone else broke the glass',
      health,
      situation({ participantIds: [], breakGlassActiveFor: ['other'] }),
      '✓ np np np np ✓ np',
    ],
    ['a participant without legal basis', health, situation({ participantIds: ['nurse'], legalBasisRecorded: false }), '✓ nb nb ✓ ✓ nb nb'],
    ['a participant after an objection', health, situation({ participantIds: ['nurse'], objection: true }), '✓ obj obj ✓ ✓ obj obj'],
    [
      'break-glass after an objection',
      health,
      situation({ participantIds: [], objection: true, breakGlassActiveFor: ['nurse'] }),
      '✓ obj obj ✓ np obj np',
    ],
    ['a participating social worker', social, situation({ participantIds: ['social-worker'] }), '✓ ✓ nh ✓ ✓ ✓ ✓'],
    [
      'a social worker when the charter keeps names to health',
      social,
      situation({ participantIds: ['social-worker'] }),
      '✓ ex nh ✓ ✓ ex ex',
      healthOnly,
    ],
    ['a nurse when the charter keeps names to health', health, situation({ participantIds: ['nurse'] }), '✓ ✓ ✓ ✓ ✓ ✓ ✓', healthOnly],
    ['a member not bound by secrecy', unbound, situation({ participantIds: ['asv-coordinator'] }), '✓ ns ns ✓ ✓ ns ns'],
    ['a coordinator not attached', coordinator, situation({ participantIds: [] }), '✓ np np np ✓ ✓ np'],
    [
      'a participant of another cell’s situation',
      health,
      situation({ cellId: OTHER_CELL, participantIds: ['nurse'] }),
      'oc oc oc oc oc oc oc',
    ],
  ]

  const expanded = cases.flatMap(([name, actor, resource, row, rules]) =>
    row.split(' ').map((token, index) => ({
      name,
      actor,
      resource,
      rules,
      action: SITUATION_ACTIONS[index] as Action,
      expected: TOKENS[token as keyof typeof TOKENS],
    }))
  )

  it.each(expanded)('$name: $action → $expected', ({ actor, action, resource, rules, expected }) => {
    expect(outcome(can({ actor, action, resource, rules }))).toBe(expected)
  })
})

describe('decisions', () => {
  it('give a French message that says what to do, for every reason', () => {
    const reasons = (Object.values(TOKENS) as Outcome[]).filter((reason): reason is DenyReason => reason !== 'allowed')
    for (const reason of [...reasons, 'wrong_resource' as const]) {
      const message = denyMessage(reason)
      expect(message.length, reason).toBeGreaterThan(20)
      expect(message, reason).toMatch(/\.$/)
      expect(message, reason).not.toMatch(/\btu\b|\bton\b|\bta\b/)
    }
    expect(denyMessage('charter_unsigned')).toMatch(/^Signez/)
    expect(denyMessage('second_factor_required')).toMatch(/second facteur/)
  })

  it('explain a role refusal in terms of the role', () => {
    const decision = can({ actor: ACTOR_KINDS.dpo, action: 'situation:read:pseudonymised', resource: RESOURCES.situation })
    expect(decision).toEqual({ allowed: false, reason: 'role', message: expect.stringMatching(/DPO.*jamais au contenu/) })
    const associate = can({ actor: ACTOR_KINDS.associate, action: 'situation:read:nominative', resource: RESOURCES.situation })
    expect(associate).toMatchObject({ allowed: false, reason: 'role', message: expect.stringMatching(/pseudonymisées/) })
  })

  it('refuse an action on the wrong kind of resource', () => {
    const coordinator = ACTOR_KINDS.coordinator
    expect(outcome(can({ actor: coordinator, action: 'situation:read:nominative', resource: RESOURCES.cell }))).toBe('wrong_resource')
    expect(outcome(can({ actor: coordinator, action: 'cell:member:invite', resource: RESOURCES.situation }))).toBe('wrong_resource')
    expect(outcome(can({ actor: ACTOR_KINDS.platformAdmin, action: 'platform:cell:create', resource: RESOURCES.cell }))).toBe(
      'wrong_resource'
    )
    expect(outcome(can({ actor: ACTOR_KINDS.anonymous, action: 'referral:submit', resource: RESOURCES.cell }))).toBe('wrong_resource')
    expect(outcome(can({ actor: coordinator, action: 'cell:invitation:accept', resource: RESOURCES.platform }))).toBe('wrong_resource')
  })

  it('let a removed person accept a new invitation once the membership is reset to invited', () => {
    const reinvited = makeMember({ userId: 'removed', status: 'invited', signedCurrentCharter: false })
    expect(can({ actor: reinvited, action: 'cell:invitation:accept', resource: { kind: 'cell', cellId: CELL } })).toEqual({ allowed: true })
  })
})

describe('helpers', () => {
  it('ACTIONS are unique action:entity[:scope] strings and each has a scope', () => {
    expect(new Set(ACTIONS).size).toBe(ACTIONS.length)
    for (const action of ACTIONS) {
      expect(action).toMatch(/^(platform|cell|situation|referral|meeting):[a-z-]+(:[a-z-]+)?$/)
      expect(['public', 'platform', 'cell', 'invitation']).toContain(actionScope(action))
    }
    expect(ACTIONS.filter(action => actionScope(action) === 'public')).toEqual(['referral:submit', 'referral:feedback:read'])
  })

  it('allowedActions lists what can() allows', () => {
    expect(allowedActions({ actor: ACTOR_KINDS.unsigned, resource: RESOURCES.cell })).toEqual([
      'cell:home:read',
      'cell:roster:read',
      'cell:charter:read',
      'cell:charter:sign',
    ])
    expect(allowedActions({ actor: ACTOR_KINDS.dpo, resource: RESOURCES.cell })).toEqual([
      'cell:home:read',
      'cell:members:read',
      'cell:roster:read',
      'cell:charter:read',
      'cell:charter:sign',
      'cell:audit:read',
      'cell:audit:review',
      'cell:audit:export',
    ])
    expect(allowedActions({ actor: ACTOR_KINDS.anonymous, resource: RESOURCES.referral })).toEqual([
      'referral:submit',
      'referral:feedback:read',
    ])
  })

  it('isEligibleParticipant follows R1110-2 and the charter', () => {
    const healthOnly = charterRulesSchema.parse({ nominativeAccessCategories: ['health'] })
    expect(isEligibleParticipant({ role: 'member', professionCategory: 'health' })).toBe(true)
    expect(isEligibleParticipant({ role: 'coordinator', professionCategory: 'social' })).toBe(true)
    expect(isEligibleParticipant({ role: 'member', professionCategory: 'social', rules: healthOnly })).toBe(false)
    expect(isEligibleParticipant({ role: 'member', professionCategory: 'none' })).toBe(false)
    expect(isEligibleParticipant({ role: 'associate', professionCategory: 'health' })).toBe(false)
    expect(isEligibleParticipant({ role: 'dpo', professionCategory: 'health' })).toBe(false)
  })
})

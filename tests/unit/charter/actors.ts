import { type Actor, type Resource } from '#charter/index.ts'

export const CELL = 'cell-sevran'
export const OTHER_CELL = 'cell-aulnay'

type Membership = NonNullable<Actor['membership']>

function member({
  userId,
  professionCategory = 'health',
  secondFactor = true,
  ...membership
}: Partial<Membership> & { userId: string; professionCategory?: Actor['professionCategory']; secondFactor?: boolean }): Actor {
  return {
    userId,
    platformRole: 'none',
    secondFactor,
    professionCategory,
    membership: { cellId: CELL, role: 'member', status: 'active', signedCurrentCharter: true, signedEarlierCharter: false, needsReadmission: false, ...membership },
  }
}

/** One actor of each kind the authorization matrix distinguishes (issue 5). */
export const ACTOR_KINDS = {
  anonymous: { userId: null, platformRole: 'none', secondFactor: false, professionCategory: 'none', membership: null },
  platformAdmin: { userId: 'admin', platformRole: 'platform_admin', secondFactor: true, professionCategory: 'none', membership: null },
  outsider: { userId: 'outsider', platformRole: 'none', secondFactor: true, professionCategory: 'health', membership: null },
  otherCell: member({ userId: 'other-cell-member', cellId: OTHER_CELL }),
  removed: member({ userId: 'removed', status: 'removed' }),
  suspended: member({ userId: 'suspended', status: 'suspended' }),
  invited: member({ userId: 'invited', status: 'invited', signedCurrentCharter: false }),
  noSecondFactor: member({ userId: 'no-second-factor', secondFactor: false }),
  readmission: member({ userId: 'readmission', needsReadmission: true }),
  unsigned: member({ userId: 'unsigned', signedCurrentCharter: false }),
  coordinator: member({ userId: 'coordinator', role: 'coordinator' }),
  member: member({ userId: 'member' }),
  socialMember: member({ userId: 'social-member', professionCategory: 'social' }),
  associate: member({ userId: 'associate', role: 'associate', professionCategory: 'none' }),
  dpo: member({ userId: 'dpo', role: 'dpo', professionCategory: 'none' }),
} as const satisfies Record<string, Actor>

export type ActorKind = keyof typeof ACTOR_KINDS

export const ACTOR_KIND_NAMES = Object.keys(ACTOR_KINDS) as ActorKind[]

export { member as makeMember }

export function situation(overrides: Partial<Extract<Resource, { kind: 'situation' }>> = {}): Extract<Resource, { kind: 'situation' }> {
  return {
    kind: 'situation',
    cellId: CELL,
    situationId: 'situation-1',
    // Everyone is a participant, so that roles, not attachment, decide the matrix.
    participantIds: ACTOR_KIND_NAMES.map(kind => ACTOR_KINDS[kind].userId).filter((id): id is string => id !== null),
    legalBasisRecorded: true,
    objection: false,
    breakGlassActiveFor: [],
    ...overrides,
  }
}

export const RESOURCES = {
  platform: { kind: 'platform' },
  cell: { kind: 'cell', cellId: CELL },
  situation: situation(),
  referral: { kind: 'referral', cellId: CELL },
} as const satisfies Record<string, Resource>

import { type Action, type CellRule, type SituationAccess, ACTIONS, actionRule } from './actions.ts'
import { DEFAULT_RULES } from './default-charter.ts'
import { DENY_MESSAGES, ROLE_DENY_MESSAGES } from './deny-messages.ts'
import { type Actor, type Decision, type DenyReason, type MembershipRole, type ProfessionCategory, type Resource } from './policy-types.ts'
import { type CharterRules } from './schema.ts'

export { ACTIONS, actionRule, actionScope, type Action, type ActionScope } from './actions.ts'
export { DENY_MESSAGES, denyMessage } from './deny-messages.ts'
export type { Actor, Decision, DenyReason, MembershipRole, MembershipStatus, ProfessionCategory, Resource } from './policy-types.ts'

/**
 * The one authorization policy of the product (DESIGN §9). Every loader and action calls `can()` on
 * the server; the UI calls the same function to decide what to show.
 */

const ALLOWED: Decision = { allowed: true }

function deny(reason: DenyReason, message: string = DENY_MESSAGES[reason]): Decision {
  return { allowed: false, reason, message }
}

/**
 * Can this actor do this action on this resource? `rules` are the machine rules of the cell's current
 * charter (nominative categories); the default charter's rules when omitted.
 */
export function can({
  actor,
  action,
  resource,
  rules = DEFAULT_RULES,
}: {
  actor: Actor
  action: Action
  resource: Resource
  rules?: CharterRules
}): Decision {
  const rule = actionRule(action)
  switch (rule.scope) {
    case 'public':
      return resource.kind === rule.resource ? ALLOWED : deny('wrong_resource')
    case 'platform':
      return canAdministerPlatform({ actor, resource })
    case 'invitation':
      return canAcceptInvitation({ actor, resource })
    case 'cell':
      return canActInCell({ actor, rule, resource, rules })
    default: {
      const unreachable: never = rule
      throw new Error(`Unknown scope ${String(unreachable)}`)
    }
  }
}

function canAdministerPlatform({ actor, resource }: { actor: Actor; resource: Resource }): Decision {
  if (resource.kind !== 'platform') return deny('wrong_resource')
  if (actor.userId === null) return deny('anonymous')
  if (!actor.secondFactor) return deny('second_factor_required')
  if (actor.platformRole !== 'platform_admin') return deny('role', 'Cette action est réservée à l’administration de la plateforme.')
  return ALLOWED
}

function canAcceptInvitation({ actor, resource }: { actor: Actor; resource: Resource }): Decision {
  if (resource.kind !== 'cell') return deny('wrong_resource')
  if (actor.userId === null) return deny('anonymous')
  if (!actor.secondFactor) return deny('second_factor_required')
  if (actor.platformRole === 'platform_admin') return deny('platform_admin_no_content')
  const membership = actor.membership
  if (membership === null || membership.cellId !== resource.cellId) return ALLOWED
  switch (membership.status) {
    case 'invited':
      return ALLOWED
    case 'active':
      return deny('already_member')
    case 'suspended':
      return deny('suspended')
    // A removed person is re-invited by resetting the membership to 'invited' first.
    case 'removed':
      return deny('removed')
    default: {
      const unreachable: never = membership.status
      throw new Error(`Unknown membership status ${String(unreachable)}`)
    }
  }
}

function canActInCell({
  actor,
  rule,
  resource,
  rules,
}: {
  actor: Actor
  rule: CellRule
  resource: Resource
  rules: CharterRules
}): Decision {
  if (resource.kind !== rule.resource) return deny('wrong_resource')
  if (actor.userId === null) return deny('anonymous')
  if (!actor.secondFactor) return deny('second_factor_required')
  // A platform admin account never reads a cell, even one it would belong to: no content, no keys.
  if (actor.platformRole === 'platform_admin') return deny('platform_admin_no_content')

  const membership = actor.membership
  if (membership === null) return deny('not_member')
  if (membership.cellId !== resource.cellId) return deny('other_cell')
  switch (membership.status) {
    case 'active':
      break
    case 'invited':
      return deny('invitation_pending')
    case 'suspended':
      return deny('suspended')
    case 'removed':
      return deny('removed')
    default: {
      const unreachable: never = membership.status
      throw new Error(`Unknown membership status ${String(unreachable)}`)
    }
  }
  if (membership.needsReadmission && !rule.duringReadmission) return deny('needs_readmission')
  if (!membership.signedCurrentCharter && !rule.beforeSignature && !(rule.whileResigning && membership.signedEarlierCharter)) return deny('charter_unsigned')
  if (!rule.roles.includes(membership.role)) return deny('role', ROLE_DENY_MESSAGES[membership.role])

  if (rule.situation === undefined) return ALLOWED
  if (resource.kind !== 'situation') return deny('wrong_resource')
  return canReachSituation({ actor, userId: actor.userId, role: membership.role, access: rule.situation, situation: resource, rules })
}

type SituationResource = Extract<Resource, { kind: 'situation' }>

function canReachSituation({
  actor,
  userId,
  role,
  access,
  situation,
  rules,
}: {
  actor: Actor
  userId: string
  role: MembershipRole
  access: SituationAccess
  situation: SituationResource
  rules: CharterRules
}): Decision {
  const isParticipant = situation.participantIds.includes(userId)
  const hasBreakGlass = situation.breakGlassActiveFor.includes(userId)

  switch (access) {
    case 'pseudonymised':
      return ALLOWED
    case 'participant':
      return isParticipant || hasBreakGlass ? ALLOWED : deny('not_participant')
    case 'participant-or-coordinator':
      return role === 'coordinator' || isParticipant ? ALLOWED : deny('not_participant')
    case 'nominative':
    case 'medical':
    case 'export':
    case 'break-glass': {
      const eligibility = nominativeEligibility({ category: actor.professionCategory, medical: access === 'medical', rules })
      if (!eligibility.allowed) return eligibility
      const reaches = access === 'break-glass' || isParticipant || (access !== 'export' && hasBreakGlass)
      if (!reaches) return deny('not_participant')
      if (situation.objection) return deny('objection')
      if (!situation.legalBasisRecorded) return deny('no_legal_basis')
      return ALLOWED
    }
    default: {
      const unreachable: never = access
      throw new Error(`Unknown situation access ${String(unreachable)}`)
    }
  }
}

function nominativeEligibility({
  category,
  medical,
  rules,
}: {
  category: ProfessionCategory
  medical: boolean
  rules: CharterRules
}): Decision {
  if (category === 'none') return deny('not_secrecy_bound')
  if (medical) return (rules.medicalSectionCategories as readonly string[]).includes(category) ? ALLOWED : deny('not_health_professional')
  return (rules.nominativeAccessCategories as readonly string[]).includes(category) ? ALLOWED : deny('excluded_by_charter')
}

/**
 * May this person be attached to a situation as a participant (rule 2)? For the attach route, which
 * checks the member being attached; `can()` checks the coordinator doing it.
 */
export function isEligibleParticipant({
  role,
  professionCategory,
  rules = DEFAULT_RULES,
}: {
  role: MembershipRole
  professionCategory: ProfessionCategory
  rules?: CharterRules
}): boolean {
  if (role !== 'coordinator' && role !== 'member') return false
  return nominativeEligibility({ category: professionCategory, medical: false, rules }).allowed
}

/** Every action this actor may do on this resource, for the UI to mirror the server. */
export function allowedActions({ actor, resource, rules }: { actor: Actor; resource: Resource; rules?: CharterRules }): Action[] {
  return ACTIONS.filter(action => can({ actor, action, resource, rules }).allowed)
}

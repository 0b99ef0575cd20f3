import { DEFAULT_RULES } from './default-charter.ts'
import { type CharterRules } from './schema.ts'

/**
 * The one authorization policy of the product (DESIGN §9). Every loader and action calls `can()` on
 * the server; the UI calls the same function to decide what to show.
 */

export const ACTIONS = [
  // Platform administration: cells and their first coordinator, never content.
  'platform:cells:list',
  'platform:cell:create',
  'platform:invitation:create',
  // Cell
  'cell:home:read',
  'cell:members:read',
  'cell:roster:read',
  'cell:roster:attest',
  'cell:keys:read',
  'cell:charter:read',
  'cell:charter:sign',
  'cell:charter:publish',
  'cell:member:invite',
  'cell:member:confirm',
  'cell:member:set-role',
  'cell:member:remove',
  'cell:member:readmit',
  'cell:habilitation:review',
  'cell:invitation:accept',
  'cell:audit:read',
  'cell:audit:review',
  'cell:audit:export',
  // Situations
  'situation:list',
  'situation:create',
  'situation:read:pseudonymised',
  'situation:read:nominative',
  'situation:read:medical',
  'situation:write',
  'situation:participant:attach',
  'situation:legal-basis:record',
  'situation:break-glass',
  'situation:close',
  'situation:export:single',
  // Referrals
  'referral:submit',
  'referral:triage',
  'referral:feedback:write',
  'referral:feedback:read',
  // Meetings
  'meeting:manage',
  'meeting:attend',
  'meeting:proposals:write',
] as const

export type Action = (typeof ACTIONS)[number]

export type MembershipRole = 'coordinator' | 'member' | 'associate' | 'dpo'
export type MembershipStatus = 'invited' | 'active' | 'suspended' | 'removed'
export type ProfessionCategory = 'health' | 'social' | 'none'

export type Actor = {
  userId: string | null
  platformRole: 'none' | 'platform_admin'
  secondFactor: boolean
  professionCategory: ProfessionCategory
  membership: null | {
    cellId: string
    role: MembershipRole
    status: MembershipStatus
    signedCurrentCharter: boolean
    needsReadmission: boolean
  }
}

export type Resource =
  | { kind: 'platform' }
  | { kind: 'cell'; cellId: string }
  | {
      kind: 'situation'
      cellId: string
      situationId: string
      participantIds: string[]
      legalBasisRecorded: boolean
      objection: boolean
      breakGlassActiveFor: string[]
    }
  | { kind: 'referral'; cellId: string }

export type DenyReason =
  | 'anonymous'
  | 'second_factor_required'
  | 'not_member'
  | 'invitation_pending'
  | 'already_member'
  | 'other_cell'
  | 'removed'
  | 'suspended'
  | 'charter_unsigned'
  | 'role'
  | 'not_participant'
  | 'no_legal_basis'
  | 'objection'
  | 'not_health_professional'
  | 'not_secrecy_bound'
  | 'excluded_by_charter'
  | 'needs_readmission'
  | 'platform_admin_no_content'
  | 'wrong_resource'

export type Decision = { allowed: true } | { allowed: false; reason: DenyReason; message: string }

/** Who an action is for: anyone, the platform admin, a cell member, or someone joining a cell. */
export type ActionScope = 'public' | 'platform' | 'cell' | 'invitation'

/** What an action on a situation needs beyond the role (DESIGN §9 rules 2–7, 13, 15). */
type SituationAccess =
  /** The pseudonymised layer: any member holding the cell key. */
  | 'pseudonymised'
  /** Participant, or an active break-glass for this user. */
  | 'participant'
  /** Coordinator, or participant. */
  | 'participant-or-coordinator'
  /** Nominative content: participant or break-glass, legal basis, no objection, eligible profession. */
  | 'nominative'
  /** Nominative content restricted to health professionals. */
  | 'medical'
  /** A single export: as nominative, but participants only (never under break-glass). */
  | 'export'
  /** Opening break-glass: eligible profession, legal basis, no objection; not being a participant. */
  | 'break-glass'

type CellRule = {
  scope: 'cell'
  resource: 'cell' | 'situation' | 'referral'
  roles: readonly MembershipRole[]
  /** Allowed before signing the current charter (rule 1). */
  beforeSignature: boolean
  /** Allowed while awaiting re-admission after an account reset. */
  duringReadmission: boolean
  situation?: SituationAccess
}

type ActionRule = { scope: 'public'; resource: 'referral' } | { scope: 'platform' } | { scope: 'invitation' } | CellRule

const ALL_ROLES = ['coordinator', 'member', 'associate', 'dpo'] as const
const KEY_HOLDERS = ['coordinator', 'member', 'associate'] as const
const SECRECY_ROLES = ['coordinator', 'member'] as const
const COORDINATOR = ['coordinator'] as const
const DPO = ['dpo'] as const

function cellRule(rule: Omit<CellRule, 'scope' | 'beforeSignature' | 'duringReadmission'> & Partial<CellRule>): CellRule {
  return { scope: 'cell', beforeSignature: false, duringReadmission: false, ...rule }
}

/** The rule of each action; a new action without a rule fails typecheck. */
export function actionRule(action: Action): ActionRule {
  switch (action) {
    case 'platform:cells:list':
    case 'platform:cell:create':
    case 'platform:invitation:create':
      return { scope: 'platform' }

    case 'cell:home:read':
    case 'cell:charter:read':
      return cellRule({ resource: 'cell', roles: ALL_ROLES, beforeSignature: true, duringReadmission: true })
    case 'cell:charter:sign':
      return cellRule({ resource: 'cell', roles: ALL_ROLES, beforeSignature: true })
    case 'cell:members:read':
    case 'cell:roster:read':
      return cellRule({ resource: 'cell', roles: ALL_ROLES })
    case 'cell:roster:attest':
    case 'cell:keys:read':
      return cellRule({ resource: 'cell', roles: KEY_HOLDERS })
    case 'cell:charter:publish':
    case 'cell:member:invite':
    case 'cell:member:confirm':
    case 'cell:member:set-role':
    case 'cell:member:remove':
    case 'cell:member:readmit':
    case 'cell:habilitation:review':
      return cellRule({ resource: 'cell', roles: COORDINATOR })
    case 'cell:invitation:accept':
      return { scope: 'invitation' }
    // The DPO audits (DESIGN §11); the coordinator is audited, and is alerted of break-glass elsewhere.
    case 'cell:audit:read':
    case 'cell:audit:review':
    case 'cell:audit:export':
      return cellRule({ resource: 'cell', roles: DPO })

    case 'situation:list':
      return cellRule({ resource: 'cell', roles: KEY_HOLDERS })
    case 'situation:create':
      return cellRule({ resource: 'cell', roles: SECRECY_ROLES })
    case 'situation:read:pseudonymised':
      return cellRule({ resource: 'situation', roles: KEY_HOLDERS, situation: 'pseudonymised' })
    case 'situation:read:nominative':
      return cellRule({ resource: 'situation', roles: SECRECY_ROLES, situation: 'nominative' })
    case 'situation:read:medical':
      return cellRule({ resource: 'situation', roles: SECRECY_ROLES, situation: 'medical' })
    case 'situation:write':
      return cellRule({ resource: 'situation', roles: SECRECY_ROLES, situation: 'participant' })
    case 'situation:legal-basis:record':
      return cellRule({ resource: 'situation', roles: SECRECY_ROLES, situation: 'participant-or-coordinator' })
    case 'situation:participant:attach':
    case 'situation:close':
      return cellRule({ resource: 'situation', roles: COORDINATOR, situation: 'pseudonymised' })
    case 'situation:break-glass':
      return cellRule({ resource: 'situation', roles: SECRECY_ROLES, situation: 'break-glass' })
    case 'situation:export:single':
      return cellRule({ resource: 'situation', roles: SECRECY_ROLES, situation: 'export' })

    // Anonymous on purpose: the referring doctor has no account; the reply code is checked by the route.
    case 'referral:submit':
    case 'referral:feedback:read':
      return { scope: 'public', resource: 'referral' }
    case 'referral:triage':
    case 'referral:feedback:write':
      return cellRule({ resource: 'referral', roles: COORDINATOR })

    case 'meeting:manage':
      return cellRule({ resource: 'cell', roles: COORDINATOR })
    case 'meeting:attend':
      return cellRule({ resource: 'cell', roles: KEY_HOLDERS })
    case 'meeting:proposals:write':
      return cellRule({ resource: 'cell', roles: SECRECY_ROLES })

    default: {
      const unreachable: never = action
      throw new Error(`Unknown action ${String(unreachable)}`)
    }
  }
}

export function actionScope(action: Action): ActionScope {
  return actionRule(action).scope
}

const ALLOWED: Decision = { allowed: true }

const MESSAGES: Record<DenyReason, string> = {
  anonymous: 'Connectez-vous pour accéder à cette page.',
  second_factor_required: 'Confirmez votre connexion avec votre second facteur d’authentification pour continuer.',
  not_member: 'Vous n’êtes pas membre de cette cellule. Demandez une invitation à sa coordination.',
  invitation_pending: 'Votre invitation n’est pas encore confirmée. La coordination doit la valider avec vous, en personne.',
  already_member: 'Vous êtes déjà membre de cette cellule : ouvrez-la depuis la page « Mes cellules ».',
  other_cell: 'Cette ressource appartient à une autre cellule que la vôtre. Vérifiez l’adresse ou contactez la coordination.',
  removed: 'Vous ne faites plus partie de cette cellule. Contactez sa coordination si vous pensez qu’il s’agit d’une erreur.',
  suspended: 'Votre accès à cette cellule est suspendu. Contactez sa coordination pour le rétablir.',
  charter_unsigned: 'Signez la version en vigueur de la charte de la cellule pour accéder à cette page.',
  role: 'Votre rôle dans la cellule ne permet pas cette action. Adressez-vous à la coordination si nécessaire.',
  not_participant:
    'Vous n’êtes pas participant de cette situation. Demandez à la coordination de vous y rattacher ou, en cas d’urgence, utilisez l’accès en urgence.',
  no_legal_basis:
    'Aucune base légale du partage n’est enregistrée pour cette situation : seule sa présentation pseudonymisée est accessible.',
  objection: 'La personne s’est opposée au partage de ses informations : leur contenu nominatif n’est plus accessible.',
  not_health_professional: 'La section médicale est réservée aux professionnels de santé participant à la situation.',
  not_secrecy_bound:
    'Votre profession ne figure pas parmi celles autorisées à partager des informations nominatives (CSP R1110-2) : seules les présentations pseudonymisées vous sont accessibles.',
  excluded_by_charter:
    'La charte de la cellule réserve l’accès nominatif à d’autres catégories de professionnels que la vôtre : seules les présentations pseudonymisées vous sont accessibles.',
  needs_readmission:
    'Votre compte a été réinitialisé : la coordination doit vérifier de nouveau votre identité avec vous avant que vous retrouviez l’accès à la cellule.',
  platform_admin_no_content:
    'Le compte d’administration de la plateforme n’accède à aucun contenu de cellule. Utilisez un compte de membre pour participer à une cellule.',
  wrong_resource: 'Cette action ne s’applique pas à cette ressource.',
}

export function denyMessage(reason: DenyReason): string {
  return MESSAGES[reason]
}

function deny(reason: DenyReason, message: string = MESSAGES[reason]): Decision {
  return { allowed: false, reason, message }
}

const ROLE_MESSAGES: Record<MembershipRole, string> = {
  coordinator: MESSAGES.role,
  member: 'Cette action est réservée à la coordination de la cellule.',
  associate: 'Les membres associés n’ont accès qu’aux présentations pseudonymisées et aux informations générales de la cellule.',
  dpo: 'Le rôle de DPO donne accès au journal des accès, aux membres et aux signatures de la charte, jamais au contenu des situations ni aux clés.',
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
  if (!membership.signedCurrentCharter && !rule.beforeSignature) return deny('charter_unsigned')
  if (!rule.roles.includes(membership.role)) return deny('role', ROLE_MESSAGES[membership.role])

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

import { type MembershipRole } from './policy-types.ts'

/**
 * Every action of the product, now and planned (DESIGN §8–§11), and what each needs. `can()` in
 * policy.ts applies these rules; the exhaustive switch makes a new action without a rule a type error.
 */

export const ACTIONS = [
  // Platform administration: cells and their first coordinator, never content.
  'platform:cells:list',
  'platform:cell:create',
  'platform:cell:archive',
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

/** Who an action is for: anyone, the platform admin, a cell member, or someone joining a cell. */
export type ActionScope = 'public' | 'platform' | 'cell' | 'invitation'

/** What an action on a situation needs beyond the role (DESIGN §9 rules 2–7, 13, 15). */
export type SituationAccess =
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
  /** Opening break-glass: eligible profession, legal basis, no objection; no attachment needed. */
  | 'break-glass'

export type CellRule = {
  scope: 'cell'
  resource: 'cell' | 'situation' | 'referral'
  roles: readonly MembershipRole[]
  /** Allowed before signing the current charter (rule 1). */
  beforeSignature: boolean
  /**
   * Allowed to a member who signed an earlier version, until they sign the current one: the DPO's
   * oversight must not lapse at the moment a charter changes (issue 12).
   */
  whileResigning: boolean
  /** Allowed while awaiting re-admission after an account reset. */
  duringReadmission: boolean
  situation?: SituationAccess
}

export type ActionRule = { scope: 'public'; resource: 'referral' } | { scope: 'platform' } | { scope: 'invitation' } | CellRule

const ALL_ROLES = ['coordinator', 'member', 'associate', 'dpo'] as const
const KEY_HOLDERS = ['coordinator', 'member', 'associate'] as const
const SECRECY_ROLES = ['coordinator', 'member'] as const
const COORDINATOR = ['coordinator'] as const
const DPO = ['dpo'] as const

function cellRule(rule: Omit<CellRule, 'scope' | 'beforeSignature' | 'whileResigning' | 'duringReadmission'> & Partial<CellRule>): CellRule {
  return { scope: 'cell', beforeSignature: false, whileResigning: false, duringReadmission: false, ...rule }
}

/** The rule of each action; a new action without a rule fails typecheck. */
export function actionRule(action: Action): ActionRule {
  switch (action) {
    case 'platform:cells:list':
    case 'platform:cell:create':
    case 'platform:cell:archive':
    case 'platform:invitation:create':
      return { scope: 'platform' }

    case 'cell:home:read':
    case 'cell:charter:read':
      return cellRule({ resource: 'cell', roles: ALL_ROLES, beforeSignature: true, duringReadmission: true })
    case 'cell:charter:sign':
      return cellRule({ resource: 'cell', roles: ALL_ROLES, beforeSignature: true })
    // The roster holds public keys only; a member checks the charter against it before signing.
    case 'cell:roster:read':
      return cellRule({ resource: 'cell', roles: ALL_ROLES, beforeSignature: true })
    case 'cell:members:read':
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
    // A DPO who signed an earlier charter keeps reading the journal while the new one awaits signature.
    case 'cell:audit:read':
      return cellRule({ resource: 'cell', roles: DPO, whileResigning: true })
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

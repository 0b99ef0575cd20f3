import { type SecrecyCategory } from './professions.ts'

/** The inputs and output of `can()` (policy.ts). */

export type MembershipRole = 'coordinator' | 'member' | 'associate' | 'dpo'
export type MembershipStatus = 'invited' | 'active' | 'suspended' | 'removed'
/** The R1110-2 category of the actor's profession (professions.ts). */
export type ProfessionCategory = SecrecyCategory
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
    /** Signed some earlier version but not the current one: re-signature pending. */
    signedEarlierCharter: boolean
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

import { bytesEqual } from './encoding.ts'
import { CryptoPolicyError } from './errors.ts'
import type { MemberRole } from './formats.ts'

/**
 * The validated roster state and the questions other modules ask of it (who receives which key,
 * which signing key was valid when, whether a head is in this chain); `roster.ts` builds it.
 */

/** A signing key and the roster seqs it is valid for: after a key change or a removal it signs nothing new. */
export type RosterSigningKey = { publicKey: Uint8Array; fromSeq: number; untilSeq: number | undefined }

/** A link that gave this member keys or a role, and who signed it: that author may deliver them the current keys. */
export type RosterGrant = { seq: number; type: 'genesis' | 'add_member' | 'key_change' | 'set_role'; authorId: string; authorSignPublicKey: Uint8Array }

export type RosterMember = {
  memberId: string
  role: MemberRole
  signPublicKey: Uint8Array
  boxPublicKey: Uint8Array
  /** Every signing key the member has had, with the seqs each was valid for (review §1e). */
  signKeys: RosterSigningKey[]
  grants: RosterGrant[]
  active: boolean
  addedAtSeq: number
  removedAtSeq: number | undefined
}

export type RosterEpoch = {
  epoch: number
  keyCommitment: Uint8Array
  recipientIds: string[]
  indexKeyCommitment: Uint8Array
  indexRecipientIds: string[]
  seq: number
  authorId: string
  authorSignPublicKey: Uint8Array
}

export type RosterIntakeKey = {
  index: number
  boxPublicKey: Uint8Array
  signPublicKey: Uint8Array
  notAfterMs: number
  seedCommitment: Uint8Array
  triageIds: string[]
  predecessorSignature: Uint8Array
  seq: number
  authorId: string
  authorSignPublicKey: Uint8Array
  /** Seq of the link that published its successor: no referral may be sealed to it any more. */
  retiredAtSeq: number | undefined
}

export type RosterState = {
  cellId: string
  headSeq: number
  headHash: Uint8Array
  linkHashes: Uint8Array[]
  members: Map<string, RosterMember>
  epochs: Map<number, RosterEpoch>
  currentEpoch: number | undefined
  /** Set by a removal, a loss of nominative access or a key change, cleared by the next rotate_epoch: nobody writes meanwhile. */
  rotationRequired: boolean
  intakeKeys: Map<number, RosterIntakeKey>
  currentIntakeIndex: number | undefined
  /** Set when the triage set (the active coordinators) changes, cleared by the next publish_intake_key. */
  intakeRotationRequired: boolean
  charter: { version: number; charterHash: Uint8Array } | undefined
  /** The last link that is not an attestation: what the roster code covers and what attestations attest. */
  securityHeadSeq: number
  securityHeadHash: Uint8Array
  /** Every link that set a member's keys (genesis, add_member, key_change), in roster order. */
  keyEstablishments: RosterKeyEstablishment[]
  /** The highest security head an attestation covers; -1 before the first attestation. */
  attestedSecurityHeadSeq: number
}

export type RosterKeyEstablishment = { seq: number; type: 'genesis' | 'add_member' | 'key_change'; memberId: string }

export type RosterPin = { seq: number; hash: string }
function activeIdsWhere({ state, roles }: { state: RosterState; roles: ReadonlySet<MemberRole> }): string[] {
  return [...state.members.values()]
    .filter((member) => member.active && roles.has(member.role))
    .map((member) => member.memberId)
    .sort()
}

const CELL_KEY_ROLES: ReadonlySet<MemberRole> = new Set(['coordinator', 'member', 'associate'])
const NOMINATIVE_ROLES: ReadonlySet<MemberRole> = new Set(['coordinator', 'member'])
const TRIAGE_ROLES: ReadonlySet<MemberRole> = new Set(['coordinator'])

/** Recipients of an epoch key: every active member except the DPO, sorted. */
export function epochRecipients(state: RosterState): string[] {
  return activeIdsWhere({ state, roles: CELL_KEY_ROLES })
}

/** Recipients of an epoch's blind-index key: members allowed nominative access (never associates or the DPO). */
export function indexRecipients(state: RosterState): string[] {
  return activeIdsWhere({ state, roles: NOMINATIVE_ROLES })
}

/** The triage set, who hold the intake keys and open referrals: the active coordinators (DESIGN §8). */
export function triageSet(state: RosterState): string[] {
  return activeIdsWhere({ state, roles: TRIAGE_ROLES })
}

export function isNominativeRole(role: MemberRole): boolean {
  return NOMINATIVE_ROLES.has(role)
}
/** Clients refuse to write under a stale epoch or while a removal awaits its rotation. */
export function assertWritableEpoch({ state, epoch }: { state: RosterState; epoch: number }): void {
  if (state.rotationRequired || state.currentEpoch !== epoch) {
    throw new CryptoPolicyError({ code: 'stale_epoch', message: 'Clé de cellule périmée : rechargez avant d’écrire.' })
  }
}

/** Referrals may be sealed only to the current, unexpired intake key; a retired index is refused (review §7). */
export function assertIntakeAcceptsReferrals({ state, index, nowMs }: { state: RosterState; index: number; nowMs: number }): RosterIntakeKey {
  const intake = state.intakeKeys.get(index)
  if (!intake) throw new CryptoPolicyError({ code: 'invalid_input', message: `Clé de saisine n° ${index} inconnue du registre.` })
  if (intake.retiredAtSeq !== undefined || state.currentIntakeIndex !== index) {
    throw new CryptoPolicyError({ code: 'stale_epoch', message: 'Cette clé de saisine a été remplacée : rechargez la page de la cellule (ou appelez-la) avant d’envoyer.' })
  }
  if (intake.notAfterMs <= nowMs) throw new CryptoPolicyError({ code: 'stale_epoch', message: 'La clé de saisine de la cellule a expiré : appelez la cellule.' })
  return intake
}

/**
 * The signing key `memberId` held at roster `seq`, if they were a member then: a note or a seal
 * made under that seq verifies with this key only, so a removed member's or a replaced key signs
 * nothing new (review §1e, PoC 4a).
 */
export function signingKeyAt({ state, memberId, seq }: { state: RosterState; memberId: string; seq: number }): Uint8Array | undefined {
  const member = state.members.get(memberId)
  if (!member || seq > state.headSeq) return undefined
  return member.signKeys.find((key) => key.fromSeq <= seq && (key.untilSeq === undefined || seq <= key.untilSeq))?.publicKey
}

/** The state's own hash of link `seq`: a seal or a note names the head it was made under, and it must be in this chain. */
export function isHeadInChain({ state, seq, hash }: { state: RosterState; seq: number; hash: Uint8Array }): boolean {
  const seen = state.linkHashes[seq]
  return seen !== undefined && bytesEqual(seen, hash)
}

/** Recipient data for sealing, taken from the validated roster only (never from a server list). */
export function rosterRecipient({ state, memberId }: { state: RosterState; memberId: string }) {
  const member = state.members.get(memberId)
  if (!member?.active) {
    throw new CryptoPolicyError({ code: 'recipient_not_allowed', message: `${memberId} n’est pas membre actif du registre.` })
  }
  return { memberId, role: member.role, boxPublicKey: member.boxPublicKey }
}

/** The (seq, head) a seal made on top of `state` names. */
export function rosterAnchor(state: RosterState): { rosterSeq: number; rosterHeadHash: Uint8Array } {
  return { rosterSeq: state.headSeq, rosterHeadHash: state.headHash }
}

import { type RosterKeyEstablishment, type RosterState } from './roster.ts'

/**
 * What the meeting attestations say about the keys in a validated roster (DESIGN §7). A member's
 * keys are « vérifiées en réunion » once an attestation covers a security head at or after the
 * link that set them (genesis, add_member, key_change), and stop being so at their next key change.
 * Pure functions of the state: the roster validation already refused any attestation that did not
 * attest the security head of its time.
 */

export type KeyVerification =
  | { status: 'verified'; keysSetAtSeq: number; attestedSeq: number }
  | { status: 'unverified'; keysSetAtSeq: number }

/** The verification status of one member's current keys, or undefined if the roster never set any. */
export function keyVerification({ state, memberId }: { state: RosterState; memberId: string }): KeyVerification | undefined {
  const established = [...state.keyEstablishments].reverse().find(entry => entry.memberId === memberId)
  if (!established) return undefined
  if (state.attestedSecurityHeadSeq >= established.seq) {
    return { status: 'verified', keysSetAtSeq: established.seq, attestedSeq: state.attestedSecurityHeadSeq }
  }
  return { status: 'unverified', keysSetAtSeq: established.seq }
}

export type UnattestedChange = RosterKeyEstablishment & { type: 'add_member' | 'key_change' }

/** The add_member and key_change links no attestation covers yet, oldest first: the meeting must compare the code. */
export function unattestedChanges(state: RosterState): UnattestedChange[] {
  return state.keyEstablishments.filter(
    (entry): entry is UnattestedChange => entry.type !== 'genesis' && entry.seq > state.attestedSecurityHeadSeq,
  )
}

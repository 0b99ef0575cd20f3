import type { MemberRole } from './formats.ts'
import type { RosterState } from './roster.ts'

export type RosterChange =
  | { type: 'remove_member'; memberId: string }
  | { type: 'set_role'; memberId: string; role: MemberRole }

/** What the planner needs to know about a situation; ids and membership only, no keys. */
export type SituationAccess = {
  situationId: string
  keyEpoch: number
  nominativeKeyEpoch: number | undefined
  /** Members holding the nominative key (need-to-know participants). */
  participantIds: readonly string[]
}

export type RotationOperation =
  | { type: 'append_roster_link'; link: 'remove_member' | 'set_role' | 'rotate_epoch' | 'publish_intake_key' }
  | { type: 'create_cell_epoch_key'; epoch: number }
  | { type: 'seal_cell_epoch_key'; epoch: number; recipientId: string }
  | { type: 'chain_previous_epoch'; epoch: number }
  | { type: 'rewrap_cell_index_key'; epoch: number }
  | { type: 'create_situation_key'; situationId: string; keyEpoch: number }
  | { type: 'wrap_situation_key'; situationId: string; keyEpoch: number; cellEpoch: number }
  | { type: 'create_nominative_key'; situationId: string; keyEpoch: number }
  | { type: 'seal_nominative_key'; situationId: string; keyEpoch: number; recipientId: string }
  | { type: 'create_intake_key_pair'; index: number }
  | { type: 'wrap_intake_secrets'; index: number; cellEpoch: number }

export type RotationPlan = {
  change: RosterChange
  newCellEpoch: number | undefined
  operations: RotationOperation[]
}

/** Which keys the member loses with the change; nothing else is touched. */
function lostAccess({ change, role }: { change: RosterChange; role: MemberRole }): { cell: boolean; nominative: boolean } {
  const hadCell = role !== 'dpo'
  const hadNominative = role === 'coordinator' || role === 'member'
  switch (change.type) {
    case 'remove_member':
      return { cell: hadCell, nominative: hadNominative }
    case 'set_role': {
      const keepsCell = change.role !== 'dpo'
      const keepsNominative = change.role === 'coordinator' || change.role === 'member'
      return { cell: hadCell && !keepsCell, nominative: hadNominative && !keepsNominative }
    }
    default: {
      const unreachable: never = change
      throw new Error(`unknown change ${JSON.stringify(unreachable)}`)
    }
  }
}

/**
 * Removal or downgrade → new CK epoch sealed to the remaining members, new SK for every
 * situation the member could read under CK, new nominative key where they were a
 * participant, new intake pair. O(members + affected situations); old notes stay as they are.
 */
export function planRotation({
  state,
  change,
  situations,
}: {
  state: RosterState
  change: RosterChange
  situations: readonly SituationAccess[]
}): RotationPlan {
  const member = state.members.get(change.memberId)
  const operations: RotationOperation[] = [{ type: 'append_roster_link', link: change.type }]
  if (!member?.active) return { change, newCellEpoch: undefined, operations }
  const lost = lostAccess({ change, role: member.role })
  const isNominativeHolder = (memberId: string): boolean => {
    const candidate = state.members.get(memberId)
    return (
      memberId !== change.memberId &&
      candidate?.active === true &&
      (candidate.role === 'coordinator' || candidate.role === 'member')
    )
  }
  let newCellEpoch: number | undefined
  if (lost.cell) {
    const epoch = state.currentEpoch === undefined ? 0 : state.currentEpoch + 1
    newCellEpoch = epoch
    operations.push({ type: 'create_cell_epoch_key', epoch })
    for (const candidate of state.members.values()) {
      if (candidate.active && candidate.role !== 'dpo' && candidate.memberId !== change.memberId) {
        operations.push({ type: 'seal_cell_epoch_key', epoch, recipientId: candidate.memberId })
      }
    }
    if (epoch > 0) operations.push({ type: 'chain_previous_epoch', epoch })
    operations.push({ type: 'rewrap_cell_index_key', epoch }, { type: 'append_roster_link', link: 'rotate_epoch' })
    for (const situation of situations) {
      const keyEpoch = situation.keyEpoch + 1
      operations.push(
        { type: 'create_situation_key', situationId: situation.situationId, keyEpoch },
        { type: 'wrap_situation_key', situationId: situation.situationId, keyEpoch, cellEpoch: epoch },
      )
    }
    const index = state.intakeKeys.size
    operations.push(
      { type: 'create_intake_key_pair', index },
      { type: 'wrap_intake_secrets', index, cellEpoch: epoch },
      { type: 'append_roster_link', link: 'publish_intake_key' },
    )
  }
  if (lost.nominative) {
    for (const situation of situations) {
      if (!situation.participantIds.includes(change.memberId)) continue
      const keyEpoch = (situation.nominativeKeyEpoch ?? -1) + 1
      operations.push({ type: 'create_nominative_key', situationId: situation.situationId, keyEpoch })
      for (const participantId of situation.participantIds) {
        if (isNominativeHolder(participantId)) {
          operations.push({ type: 'seal_nominative_key', situationId: situation.situationId, keyEpoch, recipientId: participantId })
        }
      }
    }
  }
  return { change, newCellEpoch, operations }
}

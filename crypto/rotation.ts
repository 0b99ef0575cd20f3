import type { MemberRole } from './formats.ts'
import { epochRecipients, indexRecipients, isNominativeRole, triageSet, type RosterState } from './roster.ts'

/** A roster change made by a coordinator, and everything that must go with it. */
export type RosterChange =
  | { type: 'add_member'; memberId: string; role: MemberRole; signPublicKey: Uint8Array; boxPublicKey: Uint8Array }
  | { type: 'remove_member'; memberId: string }
  | { type: 'set_role'; memberId: string; role: MemberRole }
  | { type: 'key_change'; memberId: string; signPublicKey: Uint8Array; boxPublicKey: Uint8Array; selfSignature: Uint8Array }

/** What the planner needs to know about a situation; ids and membership only, no keys. */
export type SituationAccess = {
  situationId: string
  keyEpoch: number
  nominativeKeyEpoch: number | undefined
  /** Members holding the nominative key (need-to-know participants). */
  participantIds: readonly string[]
}

export type RotationLink = RosterChange['type'] | 'rotate_epoch' | 'publish_intake_key'

export type RotationOperation =
  | { type: 'append_roster_link'; link: RotationLink }
  /** CK[epoch] and IXK[epoch], both fresh. */
  | { type: 'create_cell_epoch_keys'; epoch: number }
  | { type: 'seal_cell_epoch_key'; epoch: number; recipientId: string }
  | { type: 'seal_index_key'; epoch: number; recipientId: string }
  | { type: 'chain_previous_epoch'; epoch: number }
  | { type: 'chain_previous_index_key'; epoch: number }
  | { type: 'create_situation_key'; situationId: string; keyEpoch: number }
  | { type: 'wrap_situation_key'; situationId: string; keyEpoch: number; cellEpoch: number }
  | { type: 'create_nominative_key'; situationId: string; keyEpoch: number }
  | { type: 'seal_nominative_key'; situationId: string; keyEpoch: number; recipientId: string }
  | { type: 'create_intake_seed'; index: number }
  | { type: 'seal_intake_seed'; index: number; recipientId: string }

export type RotationPlan = {
  change: RosterChange
  newCellEpoch: number | undefined
  newIntakeIndex: number | undefined
  operations: RotationOperation[]
}

/** What a change does to the keys; mirrors `applyPayload` in roster.ts (a property test holds them together). */
export type ChangeEffects = {
  /** A new CK and IXK epoch is required (the roster sets rotationRequired). */
  newEpoch: boolean
  /** The member no longer holds CK (removal, DPO, old box key): every situation key is replaced. */
  losesCellKey: boolean
  /** The member no longer holds nominative keys under these box keys: their situations' nominative keys are replaced. */
  losesNominative: boolean
  /** The triage set changed: a new intake key (the roster sets intakeRotationRequired). */
  newIntake: boolean
  /** Without a new epoch, the member needs the current CK / IXK sealed by the change's author. */
  grantsCellKey: boolean
  grantsIndexKey: boolean
}

export function changeEffects({ state, change }: { state: RosterState; change: RosterChange }): ChangeEffects {
  const none: ChangeEffects = { newEpoch: false, losesCellKey: false, losesNominative: false, newIntake: false, grantsCellKey: false, grantsIndexKey: false }
  const member = state.members.get(change.memberId)
  switch (change.type) {
    case 'add_member':
      return { ...none, newIntake: change.role === 'coordinator', grantsCellKey: change.role !== 'dpo', grantsIndexKey: isNominativeRole(change.role) }
    case 'remove_member': {
      if (!member?.active) return none
      const holdsKeys = member.role !== 'dpo'
      return { ...none, newEpoch: holdsKeys, losesCellKey: holdsKeys, losesNominative: isNominativeRole(member.role), newIntake: member.role === 'coordinator' }
    }
    case 'set_role': {
      if (!member?.active) return none
      const losesCellKey = member.role !== 'dpo' && change.role === 'dpo'
      const losesNominative = isNominativeRole(member.role) && !isNominativeRole(change.role)
      const newEpoch = losesCellKey || losesNominative
      return {
        newEpoch,
        losesCellKey,
        losesNominative,
        newIntake: (member.role === 'coordinator') !== (change.role === 'coordinator'),
        grantsCellKey: !newEpoch && member.role === 'dpo' && change.role !== 'dpo',
        grantsIndexKey: !newEpoch && !isNominativeRole(member.role) && isNominativeRole(change.role),
      }
    }
    case 'key_change': {
      if (!member?.active) return none
      const holdsKeys = member.role !== 'dpo'
      return { ...none, newEpoch: holdsKeys, losesCellKey: holdsKeys, losesNominative: isNominativeRole(member.role), newIntake: member.role === 'coordinator' }
    }
    default: {
      const unreachable: never = change
      throw new Error(`unknown change ${JSON.stringify(unreachable)}`)
    }
  }
}

/** The roster as it will be once the change link is applied: only roles and activity matter to the planner. */
function rolesAfter({ state, change }: { state: RosterState; change: RosterChange }): RosterState {
  const members = new Map(state.members)
  const current = state.members.get(change.memberId)
  switch (change.type) {
    case 'add_member':
      members.set(change.memberId, { ...(current ?? { signKeys: [], grants: [], addedAtSeq: 0, removedAtSeq: undefined }), memberId: change.memberId, role: change.role, signPublicKey: change.signPublicKey, boxPublicKey: change.boxPublicKey, active: true })
      break
    case 'remove_member':
      if (current) members.set(change.memberId, { ...current, active: false })
      break
    case 'set_role':
      if (current) members.set(change.memberId, { ...current, role: change.role })
      break
    case 'key_change':
      break
    default: {
      const unreachable: never = change
      throw new Error(`unknown change ${JSON.stringify(unreachable)}`)
    }
  }
  return { ...state, members }
}

/**
 * Removal, downgrade or key change → new CK and IXK epoch sealed to those who keep them, new SK for
 * every situation when the member loses the cell key, new nominative key where they were a
 * participant, new intake key when the triage set changes. Additions and upgrades get the current
 * keys sealed by the change's author. O(members + affected situations); old notes stay as they are.
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
  const effects = changeEffects({ state, change })
  const after = rolesAfter({ state, change })
  const operations: RotationOperation[] = [{ type: 'append_roster_link', link: change.type }]
  let newCellEpoch: number | undefined
  if (effects.newEpoch) {
    const epoch = state.currentEpoch === undefined ? 0 : state.currentEpoch + 1
    newCellEpoch = epoch
    operations.push({ type: 'create_cell_epoch_keys', epoch }, { type: 'append_roster_link', link: 'rotate_epoch' })
    for (const recipientId of epochRecipients(after)) operations.push({ type: 'seal_cell_epoch_key', epoch, recipientId })
    for (const recipientId of indexRecipients(after)) operations.push({ type: 'seal_index_key', epoch, recipientId })
    if (epoch > 0) operations.push({ type: 'chain_previous_epoch', epoch }, { type: 'chain_previous_index_key', epoch })
    if (effects.losesCellKey) {
      for (const situation of situations) {
        const keyEpoch = situation.keyEpoch + 1
        operations.push(
          { type: 'create_situation_key', situationId: situation.situationId, keyEpoch },
          { type: 'wrap_situation_key', situationId: situation.situationId, keyEpoch, cellEpoch: epoch },
        )
      }
    }
  } else if (state.currentEpoch !== undefined) {
    if (effects.grantsCellKey) operations.push({ type: 'seal_cell_epoch_key', epoch: state.currentEpoch, recipientId: change.memberId })
    if (effects.grantsIndexKey) operations.push({ type: 'seal_index_key', epoch: state.currentEpoch, recipientId: change.memberId })
  }
  if (effects.losesNominative) {
    const holders = new Set(indexRecipients(after))
    for (const situation of situations) {
      if (!situation.participantIds.includes(change.memberId)) continue
      const keyEpoch = (situation.nominativeKeyEpoch ?? -1) + 1
      operations.push({ type: 'create_nominative_key', situationId: situation.situationId, keyEpoch })
      for (const participantId of situation.participantIds) {
        if (holders.has(participantId)) {
          operations.push({ type: 'seal_nominative_key', situationId: situation.situationId, keyEpoch, recipientId: participantId })
        }
      }
    }
  }
  let newIntakeIndex: number | undefined
  if (effects.newIntake) {
    const index = state.intakeKeys.size
    newIntakeIndex = index
    operations.push({ type: 'create_intake_seed', index }, { type: 'append_roster_link', link: 'publish_intake_key' })
    for (const recipientId of triageSet(after)) operations.push({ type: 'seal_intake_seed', index, recipientId })
  }
  return { change, newCellEpoch, newIntakeIndex, operations }
}

import { chainPreviousEpochKey, createCellEpochKey, sealCellEpochKey, wrapCellIndexKey } from './cell-keys.ts'
import { CryptoPolicyError } from './errors.ts'
import { createIntakeKeys, wrapIntakeSecrets, type IntakeKeys } from './intake.ts'
import { createRosterLink, epochRecipients, extendRoster, rosterRecipient, type RosterState } from './roster.ts'
import type { RosterPayload } from './roster-links.ts'
import type { RotationPlan } from './rotation.ts'
import { createSituationKey, sealNominativeKey, wrapSituationKey, type SituationKey } from './situation-keys.ts'

export type RotationResult = {
  state: RosterState
  links: Uint8Array[]
  cellKey: Uint8Array | undefined
  cellEpoch: number | undefined
  epochWraps: Map<string, Uint8Array>
  chainedPrevious: Uint8Array | undefined
  wrappedIndexKey: Uint8Array | undefined
  situationKeys: Map<string, { situationKey: SituationKey; wrapped: Uint8Array }>
  nominativeKeys: Map<string, { nominativeKey: SituationKey; wraps: Map<string, Uint8Array> }>
  intake: { keys: IntakeKeys; wrapped: Uint8Array } | undefined
}

function linkPayload({
  operation,
  plan,
  state,
  commitment,
  intake,
}: {
  operation: 'remove_member' | 'set_role' | 'rotate_epoch' | 'publish_intake_key'
  plan: RotationPlan
  state: RosterState
  commitment: Uint8Array | undefined
  intake: IntakeKeys | undefined
}): RosterPayload {
  const { change } = plan
  switch (operation) {
    case 'remove_member':
      return { type: 'remove_member', memberId: change.memberId }
    case 'set_role':
      if (change.type !== 'set_role') break
      return { type: 'set_role', memberId: change.memberId, role: change.role }
    case 'rotate_epoch':
      if (!commitment || plan.newCellEpoch === undefined) break
      return { type: 'rotate_epoch', epoch: plan.newCellEpoch, keyCommitment: commitment, recipientIds: epochRecipients(state) }
    case 'publish_intake_key':
      if (!intake) break
      return { type: 'publish_intake_key', index: intake.index, boxPublicKey: intake.box.publicKey, signPublicKey: intake.signing.publicKey }
    default: {
      const unreachable: never = operation
      throw new Error(`unknown link ${String(unreachable)}`)
    }
  }
  throw new CryptoPolicyError({ code: 'invalid_input', message: `Plan incohérent pour le maillon ${operation}.` })
}

/**
 * Runs a plan on the coordinator's client, from the same validated state the plan was
 * made on: it signs the change link itself, so recipients come from the roster only.
 */
export function executeRotationPlan({
  plan,
  state,
  coordinator,
  previousCellKey,
  cellIndexKey,
  createdAtMs,
}: {
  plan: RotationPlan
  state: RosterState
  coordinator: { memberId: string; signSecretKey: Uint8Array }
  previousCellKey: Uint8Array | undefined
  cellIndexKey: Uint8Array
  createdAtMs: number
}): RotationResult {
  const result: RotationResult = {
    state,
    links: [],
    cellKey: undefined,
    cellEpoch: plan.newCellEpoch,
    epochWraps: new Map(),
    chainedPrevious: undefined,
    wrappedIndexKey: undefined,
    situationKeys: new Map(),
    nominativeKeys: new Map(),
    intake: undefined,
  }
  const cellId = state.cellId
  let commitment: Uint8Array | undefined
  const requireCellKey = (): Uint8Array => {
    if (!result.cellKey) throw new CryptoPolicyError({ code: 'invalid_input', message: 'Plan sans nouvelle clé de cellule.' })
    return result.cellKey
  }
  for (const operation of plan.operations) {
    switch (operation.type) {
      case 'append_roster_link': {
        const payload = linkPayload({ operation: operation.link, plan, state: result.state, commitment, intake: result.intake?.keys })
        const link = createRosterLink({ state: result.state, author: coordinator, createdAtMs, payload })
        result.state = extendRoster({ state: result.state, links: [link] })
        result.links.push(link)
        break
      }
      case 'create_cell_epoch_key': {
        const created = createCellEpochKey()
        result.cellKey = created.key
        commitment = created.commitment
        break
      }
      case 'seal_cell_epoch_key':
        result.epochWraps.set(
          operation.recipientId,
          sealCellEpochKey({
            cellId,
            epoch: operation.epoch,
            cellKey: requireCellKey(),
            recipient: rosterRecipient({ state: result.state, memberId: operation.recipientId }),
            coordinator,
          }),
        )
        break
      case 'chain_previous_epoch':
        if (previousCellKey) {
          result.chainedPrevious = chainPreviousEpochKey({ cellId, epoch: operation.epoch, cellKey: requireCellKey(), previousCellKey })
        }
        break
      case 'rewrap_cell_index_key':
        result.wrappedIndexKey = wrapCellIndexKey({ cellId, epoch: operation.epoch, cellKey: requireCellKey(), indexKey: cellIndexKey })
        break
      case 'create_situation_key':
        result.situationKeys.set(operation.situationId, {
          situationKey: createSituationKey({ layer: 'pseudonymised', keyEpoch: operation.keyEpoch }),
          wrapped: new Uint8Array(0),
        })
        break
      case 'wrap_situation_key': {
        const entry = result.situationKeys.get(operation.situationId)
        if (entry) {
          entry.wrapped = wrapSituationKey({
            cellId,
            situationId: operation.situationId,
            situationKey: entry.situationKey,
            cellKey: requireCellKey(),
            cellEpoch: operation.cellEpoch,
          })
        }
        break
      }
      case 'create_nominative_key':
        result.nominativeKeys.set(operation.situationId, {
          nominativeKey: createSituationKey({ layer: 'nominative', keyEpoch: operation.keyEpoch }),
          wraps: new Map(),
        })
        break
      case 'seal_nominative_key': {
        const entry = result.nominativeKeys.get(operation.situationId)
        if (entry) {
          entry.wraps.set(
            operation.recipientId,
            sealNominativeKey({
              cellId,
              situationId: operation.situationId,
              nominativeKey: entry.nominativeKey,
              recipient: rosterRecipient({ state: result.state, memberId: operation.recipientId }),
              author: coordinator,
            }),
          )
        }
        break
      }
      case 'create_intake_key_pair':
        result.intake = { keys: createIntakeKeys({ cellId, index: operation.index }), wrapped: new Uint8Array(0) }
        break
      case 'wrap_intake_secrets':
        if (result.intake) {
          result.intake.wrapped = wrapIntakeSecrets({ keys: result.intake.keys, cellKey: requireCellKey(), cellEpoch: operation.cellEpoch })
        }
        break
      default: {
        const unreachable: never = operation
        throw new Error(`unknown operation ${JSON.stringify(unreachable)}`)
      }
    }
  }
  return result
}

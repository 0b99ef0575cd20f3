import { chainPreviousEpochKey, chainPreviousIndexKey, createCellEpochKey, sealRosterKey } from './cell-keys.ts'
import { CryptoPolicyError } from './errors.ts'
import {
  INTAKE_VALIDITY_MS,
  createIntakeSeed,
  intakeKeysFromSeed,
  intakePublicOf,
  signIntakeSuccessor,
  wipeIntakeKeys,
  type IntakeKeys,
} from './intake.ts'
import { wipe } from './primitives.ts'
import { createRosterLink, epochRecipients, extendRoster, indexRecipients, rosterAnchor, rosterRecipient, triageSet, type RosterState } from './roster.ts'
import type { RosterPayload } from './roster-links.ts'
import type { RotationLink, RotationPlan } from './rotation.ts'
import { createSituationKey, sealNominativeKey, wrapSituationKey, type SituationKey } from './situation-keys.ts'

/** A key sealed to one member, as the server stores it: `slot` is the recipient's id. */
export type SealedRosterKey = { kind: 'cell_epoch_key' | 'index_key' | 'intake_seed'; epoch: number; slot: string; blob: Uint8Array }

export type RotationResult = {
  state: RosterState
  links: Uint8Array[]
  cellEpoch: number | undefined
  intakeIndex: number | undefined
  sealed: SealedRosterKey[]
  chainedPrevious: Uint8Array | undefined
  chainedPreviousIndex: Uint8Array | undefined
  situationKeys: Map<string, { situationKey: SituationKey; wrapped: Uint8Array }>
  nominativeKeys: Map<string, { nominativeKey: SituationKey; wraps: Map<string, Uint8Array> }>
}

/** The keys the coordinator holds when the change is made (current epoch, current intake index). */
export type CurrentKeys = {
  cellKey: Uint8Array | undefined
  indexKey: Uint8Array | undefined
  /** INTAKE[current]: it signs its successor so that old flyers follow the chain. */
  intake: IntakeKeys | undefined
}

function changePayload(plan: RotationPlan): RosterPayload {
  const { change } = plan
  switch (change.type) {
    case 'add_member':
      return { type: 'add_member', memberId: change.memberId, role: change.role, signPublicKey: change.signPublicKey, boxPublicKey: change.boxPublicKey }
    case 'remove_member':
      return { type: 'remove_member', memberId: change.memberId }
    case 'set_role':
      return { type: 'set_role', memberId: change.memberId, role: change.role }
    case 'key_change':
      return { type: 'key_change', memberId: change.memberId, signPublicKey: change.signPublicKey, boxPublicKey: change.boxPublicKey, selfSignature: change.selfSignature }
    default: {
      const unreachable: never = change
      throw new Error(`unknown change ${JSON.stringify(unreachable)}`)
    }
  }
}

function incoherent(what: string): CryptoPolicyError {
  return new CryptoPolicyError({ code: 'invalid_input', message: `Plan incohérent : ${what}.` })
}

/**
 * Runs a plan on the coordinator's client, from the same validated state the plan was made on: it
 * signs each link itself and seals after the link that establishes the key, naming that roster head,
 * so recipients and commitments come from the roster only. Fresh keys are wiped before returning.
 */
export function executeRotationPlan({
  plan,
  state,
  coordinator,
  current,
  createdAtMs,
}: {
  plan: RotationPlan
  state: RosterState
  coordinator: { memberId: string; signSecretKey: Uint8Array }
  current: CurrentKeys
  createdAtMs: number
}): RotationResult {
  const result: RotationResult = {
    state,
    links: [],
    cellEpoch: plan.newCellEpoch,
    intakeIndex: plan.newIntakeIndex,
    sealed: [],
    chainedPrevious: undefined,
    chainedPreviousIndex: undefined,
    situationKeys: new Map(),
    nominativeKeys: new Map(),
  }
  const cellId = state.cellId
  let fresh: { cellKey: Uint8Array; cellCommitment: Uint8Array; indexKey: Uint8Array; indexCommitment: Uint8Array } | undefined
  let intake: { seed: Uint8Array; commitment: Uint8Array; keys: IntakeKeys } | undefined
  const keyFor = ({ kind, epoch }: { kind: 'cell' | 'index'; epoch: number }): Uint8Array => {
    if (fresh && epoch === plan.newCellEpoch) return kind === 'cell' ? fresh.cellKey : fresh.indexKey
    const held = kind === 'cell' ? current.cellKey : current.indexKey
    if (!held || epoch !== state.currentEpoch) throw incoherent(`clé ${kind === 'cell' ? 'de cellule' : 'd’index'} de l’époque ${epoch} indisponible`)
    return held
  }
  const linkPayload = (link: RotationLink): RosterPayload => {
    switch (link) {
      case 'rotate_epoch':
        if (!fresh || plan.newCellEpoch === undefined) throw incoherent('nouvelle époque sans clé')
        return {
          type: 'rotate_epoch',
          epoch: plan.newCellEpoch,
          keyCommitment: fresh.cellCommitment,
          recipientIds: epochRecipients(result.state),
          indexKeyCommitment: fresh.indexCommitment,
          indexRecipientIds: indexRecipients(result.state),
        }
      case 'publish_intake_key': {
        if (!intake) throw incoherent('clé de saisine sans graine')
        const successor = intakePublicOf(intake.keys)
        if (successor.index > 0 && !current.intake) throw incoherent('la clé de saisine en cours manque pour signer la suivante')
        return {
          type: 'publish_intake_key',
          index: successor.index,
          boxPublicKey: successor.boxPublicKey,
          signPublicKey: successor.signPublicKey,
          notAfterMs: successor.notAfterMs,
          seedCommitment: intake.commitment,
          triageIds: triageSet(result.state),
          predecessorSignature: current.intake && successor.index > 0 ? signIntakeSuccessor({ predecessor: current.intake, successor }) : new Uint8Array(0),
        }
      }
      default:
        return changePayload(plan)
    }
  }
  try {
    for (const operation of plan.operations) {
      switch (operation.type) {
        case 'append_roster_link': {
          const link = createRosterLink({ state: result.state, author: coordinator, createdAtMs, payload: linkPayload(operation.link) })
          result.state = extendRoster({ state: result.state, links: [link] })
          result.links.push(link)
          break
        }
        case 'create_cell_epoch_keys': {
          const cell = createCellEpochKey()
          const index = createCellEpochKey()
          fresh = { cellKey: cell.key, cellCommitment: cell.commitment, indexKey: index.key, indexCommitment: index.commitment }
          break
        }
        case 'seal_cell_epoch_key':
        case 'seal_index_key': {
          const kind = operation.type === 'seal_cell_epoch_key' ? 'cell_epoch' : 'index'
          result.sealed.push({
            kind: kind === 'cell_epoch' ? 'cell_epoch_key' : 'index_key',
            epoch: operation.epoch,
            slot: operation.recipientId,
            blob: sealRosterKey({
              kind,
              cellId,
              epoch: operation.epoch,
              key: keyFor({ kind: kind === 'cell_epoch' ? 'cell' : 'index', epoch: operation.epoch }),
              recipient: rosterRecipient({ state: result.state, memberId: operation.recipientId }),
              signer: coordinator,
              anchor: rosterAnchor(result.state),
            }),
          })
          break
        }
        case 'chain_previous_epoch':
          if (current.cellKey) result.chainedPrevious = chainPreviousEpochKey({ cellId, epoch: operation.epoch, cellKey: keyFor({ kind: 'cell', epoch: operation.epoch }), previousCellKey: current.cellKey })
          break
        case 'chain_previous_index_key':
          if (current.indexKey) result.chainedPreviousIndex = chainPreviousIndexKey({ cellId, epoch: operation.epoch, indexKey: keyFor({ kind: 'index', epoch: operation.epoch }), previousIndexKey: current.indexKey })
          break
        case 'create_situation_key':
          result.situationKeys.set(operation.situationId, { situationKey: createSituationKey({ layer: 'pseudonymised', keyEpoch: operation.keyEpoch }), wrapped: new Uint8Array(0) })
          break
        case 'wrap_situation_key': {
          const entry = result.situationKeys.get(operation.situationId)
          if (entry) {
            entry.wrapped = wrapSituationKey({ cellId, situationId: operation.situationId, situationKey: entry.situationKey, cellKey: keyFor({ kind: 'cell', epoch: operation.cellEpoch }), cellEpoch: operation.cellEpoch })
          }
          break
        }
        case 'create_nominative_key':
          result.nominativeKeys.set(operation.situationId, { nominativeKey: createSituationKey({ layer: 'nominative', keyEpoch: operation.keyEpoch }), wraps: new Map() })
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
                anchor: rosterAnchor(result.state),
              }),
            )
          }
          break
        }
        case 'create_intake_seed': {
          const created = createIntakeSeed()
          intake = { ...created, keys: intakeKeysFromSeed({ cellId, index: operation.index, notAfterMs: createdAtMs + INTAKE_VALIDITY_MS, seed: created.seed }) }
          break
        }
        case 'seal_intake_seed':
          if (!intake) throw incoherent('graine de saisine absente')
          result.sealed.push({
            kind: 'intake_seed',
            epoch: operation.index,
            slot: operation.recipientId,
            blob: sealRosterKey({
              kind: 'intake',
              cellId,
              epoch: operation.index,
              key: intake.seed,
              recipient: rosterRecipient({ state: result.state, memberId: operation.recipientId }),
              signer: coordinator,
              anchor: rosterAnchor(result.state),
            }),
          })
          break
        default: {
          const unreachable: never = operation
          throw new Error(`unknown operation ${JSON.stringify(unreachable)}`)
        }
      }
    }
  } finally {
    if (fresh) {
      wipe(fresh.cellKey)
      wipe(fresh.indexKey)
    }
    if (intake) {
      wipe(intake.seed)
      wipeIntakeKeys(intake.keys)
    }
  }
  return result
}

import { CryptoVerificationError } from './errors.ts'
import { unwrapKey, wrapKey } from './key-wrap.ts'
import { keyCommitment, randomKey, type BoxKeyPair } from './primitives.ts'
import {
  openKeySealedToMember,
  sealKeyToMember,
  type SealedKeyRecipient,
  type SealedKeySigner,
} from './sealed-key.ts'
import type { RosterState } from './roster.ts'

/** CK[cell, epoch]: 32 random bytes; its commitment goes into the roster's rotate_epoch link. */
export function createCellEpochKey(): { key: Uint8Array; commitment: Uint8Array } {
  const key = randomKey()
  return { key, commitment: keyCommitment(key) }
}

export function sealCellEpochKey({
  cellId,
  epoch,
  cellKey,
  recipient,
  coordinator,
}: {
  cellId: string
  epoch: number
  cellKey: Uint8Array
  recipient: SealedKeyRecipient
  coordinator: SealedKeySigner
}): Uint8Array {
  return sealKeyToMember({
    context: { kind: 'cell_epoch', keyEpoch: epoch, cellId, situationId: '' },
    key: cellKey,
    recipient,
    signer: coordinator,
  })
}

export function openCellEpochKey({
  wrap,
  cellId,
  epoch,
  recipient,
  coordinatorId,
  coordinatorSignPublicKey,
  expectedCommitment,
}: {
  wrap: Uint8Array | string
  cellId: string
  epoch: number
  recipient: { memberId: string; box: BoxKeyPair }
  coordinatorId: string
  coordinatorSignPublicKey: Uint8Array
  expectedCommitment?: Uint8Array
}): Uint8Array {
  return openKeySealedToMember({
    wrap,
    context: { kind: 'cell_epoch', keyEpoch: epoch, cellId, situationId: '' },
    recipient,
    signerId: coordinatorId,
    signerPublicKey: coordinatorSignPublicKey,
    expectedCommitment,
  }).key
}

/**
 * Opens CK[epoch] with everything taken from the validated roster: the rotate_epoch link
 * names the coordinator who signed it (with the key they had then) and the commitment.
 */
export function openCellEpochKeyWithRoster({
  wrap,
  state,
  epoch,
  recipient,
}: {
  wrap: Uint8Array | string
  state: RosterState
  epoch: number
  recipient: { memberId: string; box: BoxKeyPair }
}): Uint8Array {
  const rotation = state.epochs.get(epoch)
  if (!rotation) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: `Époque ${epoch} absente du registre.` })
  }
  return openCellEpochKey({
    wrap,
    cellId: state.cellId,
    epoch,
    recipient,
    coordinatorId: rotation.authorId,
    coordinatorSignPublicKey: rotation.authorSignPublicKey,
    expectedCommitment: rotation.keyCommitment,
  })
}

/** prev[e] = AEAD(CK[e], CK[e-1]): holding epoch e opens every earlier epoch, never a later one. */
export function chainPreviousEpochKey({
  cellId,
  epoch,
  cellKey,
  previousCellKey,
}: {
  cellId: string
  epoch: number
  cellKey: Uint8Array
  previousCellKey: Uint8Array
}): Uint8Array {
  return wrapKey({ key: previousCellKey, wrappingKey: cellKey, purpose: 'previous_epoch', context: [cellId, epoch] })
}

export function openPreviousEpochKey({
  cellId,
  epoch,
  cellKey,
  chained,
}: {
  cellId: string
  epoch: number
  cellKey: Uint8Array
  chained: Uint8Array | string
}): Uint8Array {
  return unwrapKey({ wrapped: chained, wrappingKey: cellKey, purpose: 'previous_epoch', context: [cellId, epoch] })
}

/** Walks the chain from `epoch` down to `downToEpoch`; `chain[e]` holds prev[e]. */
export function openEarlierEpochKeys({
  cellId,
  epoch,
  cellKey,
  chain,
  downToEpoch,
}: {
  cellId: string
  epoch: number
  cellKey: Uint8Array
  chain: ReadonlyMap<number, Uint8Array | string>
  downToEpoch: number
}): Map<number, Uint8Array> {
  const keys = new Map<number, Uint8Array>([[epoch, cellKey]])
  let current = cellKey
  for (let at = epoch; at > downToEpoch; at--) {
    const chained = chain.get(at)
    if (!chained) break
    current = openPreviousEpochKey({ cellId, epoch: at, cellKey: current, chained })
    keys.set(at - 1, current)
  }
  return keys
}

/** The blind-index key outlives epochs: re-wrapped under each new CK at rotation. */
export function wrapCellIndexKey({
  cellId,
  epoch,
  cellKey,
  indexKey,
}: {
  cellId: string
  epoch: number
  cellKey: Uint8Array
  indexKey: Uint8Array
}): Uint8Array {
  return wrapKey({ key: indexKey, wrappingKey: cellKey, purpose: 'cell_index_key', context: [cellId, epoch] })
}

export function openCellIndexKey({
  cellId,
  epoch,
  cellKey,
  wrapped,
}: {
  cellId: string
  epoch: number
  cellKey: Uint8Array
  wrapped: Uint8Array | string
}): Uint8Array {
  return unwrapKey({ wrapped, wrappingKey: cellKey, purpose: 'cell_index_key', context: [cellId, epoch] })
}


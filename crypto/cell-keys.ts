import { CryptoVerificationError } from './errors.ts'
import { unwrapKey, wrapKey } from './key-wrap.ts'
import { keyCommitment, randomKey, type BoxKeyPair } from './primitives.ts'
import { isHeadInChain, signingKeyAt, type RosterState } from './roster.ts'
import {
  openKeySealedToMember,
  peekSealedKey,
  sealKeyToMember,
  type SealedKeyAnchor,
  type SealedKeyKind,
  type SealedKeyRecipient,
  type SealedKeySigner,
} from './sealed-key.ts'

/** CK[cell, epoch] (or IXK[cell, epoch]): 32 random bytes; its commitment goes into the roster's rotate_epoch link. */
export function createCellEpochKey(): { key: Uint8Array; commitment: Uint8Array } {
  const key = randomKey()
  return { key, commitment: keyCommitment(key) }
}

/** The kinds a cell distributes through the roster, and the epoch (or intake index) they belong to. */
export type RosterKeyKind = Extract<SealedKeyKind, 'cell_epoch' | 'index' | 'intake'>

export function sealRosterKey({
  kind,
  cellId,
  epoch,
  key,
  recipient,
  signer,
  anchor,
}: {
  kind: RosterKeyKind
  cellId: string
  epoch: number
  key: Uint8Array
  recipient: SealedKeyRecipient
  signer: SealedKeySigner
  anchor: SealedKeyAnchor
}): Uint8Array {
  return sealKeyToMember({ context: { kind, keyEpoch: epoch, cellId, situationId: '' }, anchor, key, recipient, signer })
}

function mismatch(message: string): CryptoVerificationError {
  return new CryptoVerificationError({ code: 'context_mismatch', message })
}

type Establishment = { seq: number; untilSeq: number | undefined; authorId: string; commitment: Uint8Array }

/** Where the roster establishes a key: the link that committed to it, and until when it was current. */
function establishment({ state, kind, epoch }: { state: RosterState; kind: RosterKeyKind; epoch: number }): Establishment {
  if (kind === 'intake') {
    const intake = state.intakeKeys.get(epoch)
    if (!intake) throw mismatch(`Clé de saisine n° ${epoch} absente du registre.`)
    return { seq: intake.seq, untilSeq: intake.retiredAtSeq, authorId: intake.authorId, commitment: intake.seedCommitment }
  }
  const rotation = state.epochs.get(epoch)
  if (!rotation) throw mismatch(`Époque ${epoch} absente du registre.`)
  return {
    seq: rotation.seq,
    untilSeq: state.epochs.get(epoch + 1)?.seq,
    authorId: rotation.authorId,
    commitment: kind === 'index' ? rotation.indexKeyCommitment : rotation.keyCommitment,
  }
}

/**
 * Who may have sealed `kind`[epoch] to `recipientId`, with the roster seq from which their seal is
 * acceptable: the author of the link that created the key, or — for the cell and index keys — the
 * coordinator who signed the link giving this recipient their keys or role while that epoch was
 * current (add_member, key_change, set_role). Never "any signer" (review §10d, PoC 1e).
 */
export function authorizedSealers({
  state,
  kind,
  epoch,
  recipientId,
}: {
  state: RosterState
  kind: RosterKeyKind
  epoch: number
  recipientId: string
}): { signerId: string; fromSeq: number; untilSeq: number | undefined }[] {
  const created = establishment({ state, kind, epoch })
  const sealers = [{ signerId: created.authorId, fromSeq: created.seq, untilSeq: created.untilSeq }]
  if (kind === 'intake') return sealers
  for (const grant of state.members.get(recipientId)?.grants ?? []) {
    if (grant.type === 'genesis') continue
    if (grant.seq > created.seq && (created.untilSeq === undefined || grant.seq < created.untilSeq)) {
      sealers.push({ signerId: grant.authorId, fromSeq: grant.seq, untilSeq: created.untilSeq })
    }
  }
  return sealers
}

/**
 * Opens a key the roster establishes, with everything taken from the validated roster: the signer
 * must be an authorized sealer, verified with the key they held at the seal's roster seq; the seal
 * must name a head of this very chain, made no earlier than the authorizing link; and the key must
 * match the roster's commitment.
 */
export function openRosterKey({
  kind,
  wrap,
  state,
  epoch,
  recipient,
}: {
  kind: RosterKeyKind
  wrap: Uint8Array | string
  state: RosterState
  epoch: number
  recipient: { memberId: string; box: BoxKeyPair }
}): Uint8Array {
  const created = establishment({ state, kind, epoch })
  const header = peekSealedKey(wrap)
  const sealer = authorizedSealers({ state, kind, epoch, recipientId: recipient.memberId }).find(
    (candidate) => candidate.signerId === header.signerId && header.rosterSeq >= candidate.fromSeq,
  )
  if (!sealer) throw mismatch('Clé scellée par une personne que le registre n’autorise pas à la remettre.')
  if (!isHeadInChain({ state, seq: header.rosterSeq, hash: header.rosterHeadHash })) {
    throw mismatch('Clé scellée sous un état du registre que ce navigateur ne connaît pas.')
  }
  const signerPublicKey = signingKeyAt({ state, memberId: sealer.signerId, seq: header.rosterSeq })
  if (!signerPublicKey) throw mismatch('La personne qui a scellé cette clé n’était pas membre à ce moment.')
  return openKeySealedToMember({
    wrap,
    context: { kind, keyEpoch: epoch, cellId: state.cellId, situationId: '' },
    recipient,
    signerId: sealer.signerId,
    signerPublicKey,
    expectedCommitment: created.commitment,
  }).key
}

/** CK[epoch], as sealed to this member and checked against the roster. */
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
  return openRosterKey({ kind: 'cell_epoch', wrap, state, epoch, recipient })
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

/**
 * prevIndex[e] = AEAD(IXK[e], IXK[e-1]): a nominative-capable member of epoch e can look up tags
 * written under earlier index keys; a removed member never gets IXK[e+1].
 */
export function chainPreviousIndexKey({
  cellId,
  epoch,
  indexKey,
  previousIndexKey,
}: {
  cellId: string
  epoch: number
  indexKey: Uint8Array
  previousIndexKey: Uint8Array
}): Uint8Array {
  return wrapKey({ key: previousIndexKey, wrappingKey: indexKey, purpose: 'previous_index_key', context: [cellId, epoch] })
}

export function openEarlierIndexKeys({
  cellId,
  epoch,
  indexKey,
  chain,
}: {
  cellId: string
  epoch: number
  indexKey: Uint8Array
  chain: ReadonlyMap<number, Uint8Array | string>
}): Map<number, Uint8Array> {
  const keys = new Map<number, Uint8Array>([[epoch, indexKey]])
  let current = indexKey
  for (let at = epoch; at > 0; at--) {
    const chained = chain.get(at)
    if (!chained) break
    current = unwrapKey({ wrapped: chained, wrappingKey: current, purpose: 'previous_index_key', context: [cellId, at] })
    keys.set(at - 1, current)
  }
  return keys
}

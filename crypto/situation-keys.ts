import { unwrapKey, wrapKey } from './key-wrap.ts'
import { keyId, randomKey, type BoxKeyPair } from './primitives.ts'
import { openKeySealedToMember, sealKeyToMember, type SealedKeyRecipient, type SealedKeySigner,
  type SealedKeyAnchor } from './sealed-key.ts'

/**
 * Two keys per situation epoch k: SK (pseudonymised layer, wrapped under CK so every
 * member and associate can read) and the nominative key (IK in DESIGN §6), sealed to
 * each participant only and never placed under CK.
 */
export type SituationKey = { key: Uint8Array; keyId: Uint8Array; keyEpoch: number }

export function createSituationKey({ keyEpoch }: { keyEpoch: number }): SituationKey {
  const key = randomKey()
  return { key, keyId: keyId(key), keyEpoch }
}

export function situationKeyFrom({ key, keyEpoch }: { key: Uint8Array; keyEpoch: number }): SituationKey {
  return { key, keyId: keyId(key), keyEpoch }
}

export function wrapSituationKey({
  cellId,
  situationId,
  situationKey,
  cellKey,
  cellEpoch,
  nonce,
}: {
  cellId: string
  situationId: string
  situationKey: SituationKey
  cellKey: Uint8Array
  cellEpoch: number
  nonce?: Uint8Array
}): Uint8Array {
  return wrapKey({
    key: situationKey.key,
    wrappingKey: cellKey,
    purpose: 'situation_key',
    context: [cellId, situationId, situationKey.keyEpoch, cellEpoch],
    nonce,
  })
}

export function openSituationKey({
  cellId,
  situationId,
  keyEpoch,
  cellKey,
  cellEpoch,
  wrapped,
}: {
  cellId: string
  situationId: string
  keyEpoch: number
  cellKey: Uint8Array
  cellEpoch: number
  wrapped: Uint8Array | string
}): SituationKey {
  const key = unwrapKey({
    wrapped,
    wrappingKey: cellKey,
    purpose: 'situation_key',
    context: [cellId, situationId, keyEpoch, cellEpoch],
  })
  return situationKeyFrom({ key, keyEpoch })
}

/** Refuses DPO and associates (CryptoPolicyError recipient_not_allowed) before sealing anything. */
export function sealNominativeKey({
  cellId,
  situationId,
  nominativeKey,
  recipient,
  author,
  anchor,
  ephemeral,
}: {
  cellId: string
  situationId: string
  nominativeKey: SituationKey
  recipient: SealedKeyRecipient
  author: SealedKeySigner
  /** The roster head the distributor sealed under. */
  anchor: SealedKeyAnchor
  ephemeral?: BoxKeyPair
}): Uint8Array {
  return sealKeyToMember({
    context: { kind: 'nominative', keyEpoch: nominativeKey.keyEpoch, cellId, situationId },
    anchor,
    key: nominativeKey.key,
    recipient,
    signer: author,
    ephemeral,
  })
}

export function openNominativeKey({
  wrap,
  cellId,
  situationId,
  keyEpoch,
  recipient,
  authorId,
  authorSignPublicKey,
}: {
  wrap: Uint8Array | string
  cellId: string
  situationId: string
  keyEpoch: number
  recipient: { memberId: string; box: BoxKeyPair }
  authorId: string
  authorSignPublicKey: Uint8Array
}): SituationKey {
  const { key } = openKeySealedToMember({
    wrap,
    context: { kind: 'nominative', keyEpoch, cellId, situationId },
    recipient,
    signerId: authorId,
    signerPublicKey: authorSignPublicKey,
  })
  return situationKeyFrom({ key, keyEpoch })
}

import { utf8 } from './encoding.ts'
import { CryptoPolicyError, CryptoVerificationError } from './errors.ts'
import { KEY_ID_BYTES, type Layer } from './formats.ts'
import { unwrapKey, wrapKey } from './key-wrap.ts'
import { randomKey, type BoxKeyPair } from './primitives.ts'
import {
  openKeySealedToMember,
  sealKeyToMember,
  type SealedKeyAnchor,
  type SealedKeyKind,
  type SealedKeyRecipient,
  type SealedKeySigner,
} from './sealed-key.ts'
import { sodium } from './sodium.ts'

/**
 * One key per layer and situation epoch k (DESIGN §6): SK for the pseudonymised layer, wrapped
 * under CK so every member and associate can read; IK (nominative) and MK (medical), sealed to
 * each allowed participant only and never placed under CK. The layer travels with the key, so
 * a note cannot be sealed or opened under another layer's key (review §3, PoC 3a).
 */
export type SituationKey = { layer: Layer; key: Uint8Array; keyId: Uint8Array; keyEpoch: number }

/** Key id domain-separated per layer: the same 32 bytes would have another id in another layer. */
export function layerKeyId({ layer, key }: { layer: Layer; key: Uint8Array }): Uint8Array {
  return sodium.crypto_generichash(KEY_ID_BYTES, utf8(`cellule/key-id/v2/${layer}`), key)
}

export function createSituationKey({ layer, keyEpoch }: { layer: Layer; keyEpoch: number }): SituationKey {
  const key = randomKey()
  return { layer, key, keyId: layerKeyId({ layer, key }), keyEpoch }
}

export function situationKeyFrom({ layer, key, keyEpoch }: { layer: Layer; key: Uint8Array; keyEpoch: number }): SituationKey {
  return { layer, key, keyId: layerKeyId({ layer, key }), keyEpoch }
}

function assertLayer({ key, layer, what }: { key: SituationKey; layer: Layer; what: string }): void {
  if (key.layer !== layer) {
    throw new CryptoPolicyError({
      code: 'invalid_input',
      message: `${what} : clé de la couche ${key.layer} là où la couche ${layer} est attendue.`,
    })
  }
}

/** Only SK goes under CK: a nominative or medical key there would reach associates. */
export function wrapSituationKey({
  cellId,
  situationId,
  situationKey,
  cellKey,
  cellEpoch,
}: {
  cellId: string
  situationId: string
  situationKey: SituationKey
  cellKey: Uint8Array
  cellEpoch: number
}): Uint8Array {
  assertLayer({ key: situationKey, layer: 'pseudonymised', what: 'Clé de situation sous la clé de cellule' })
  return wrapKey({
    key: situationKey.key,
    wrappingKey: cellKey,
    purpose: 'situation_key',
    context: [cellId, situationId, situationKey.keyEpoch, cellEpoch],
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
  return situationKeyFrom({ layer: 'pseudonymised', key, keyEpoch })
}

type SealedLayer = Extract<Layer, 'nominative' | 'medical'>
const sealedKindOf = { nominative: 'nominative', medical: 'medical' } as const satisfies Record<SealedLayer, SealedKeyKind>

function sealLayerKey({
  layer,
  cellId,
  situationId,
  layerKey,
  recipient,
  author,
  anchor,
}: {
  layer: SealedLayer
  cellId: string
  situationId: string
  layerKey: SituationKey
  recipient: SealedKeyRecipient
  author: SealedKeySigner
  /** The roster head the distributor sealed under. */
  anchor: SealedKeyAnchor
}): Uint8Array {
  assertLayer({ key: layerKey, layer, what: 'Clé scellée à un membre' })
  return sealKeyToMember({
    context: { kind: sealedKindOf[layer], keyEpoch: layerKey.keyEpoch, cellId, situationId },
    anchor,
    key: layerKey.key,
    recipient,
    signer: author,
  })
}

function openLayerKey({
  layer,
  wrap,
  cellId,
  situationId,
  keyEpoch,
  recipient,
  authorId,
  authorSignPublicKey,
  expectedCommitment,
}: {
  layer: SealedLayer
  wrap: Uint8Array | string
  cellId: string
  situationId: string
  keyEpoch: number
  recipient: { memberId: string; box: BoxKeyPair }
  authorId: string
  authorSignPublicKey: Uint8Array
  expectedCommitment: Uint8Array
}): SituationKey {
  // Required, not optional: without it any member could hand out a key of their choosing (PoC 9).
  if (!(expectedCommitment instanceof Uint8Array) || expectedCommitment.length === 0) {
    throw new CryptoVerificationError({ code: 'commitment_mismatch', message: 'Clé scellée : engagement attendu manquant.' })
  }
  const { key } = openKeySealedToMember({
    wrap,
    context: { kind: sealedKindOf[layer], keyEpoch, cellId, situationId },
    recipient,
    signerId: authorId,
    signerPublicKey: authorSignPublicKey,
    expectedCommitment,
  })
  return situationKeyFrom({ layer, key, keyEpoch })
}

type SealLayerKeyInput = {
  cellId: string
  situationId: string
  recipient: SealedKeyRecipient
  author: SealedKeySigner
  /** The roster head the distributor sealed under. */
  anchor: SealedKeyAnchor
}

type OpenLayerKeyInput = {
  wrap: Uint8Array | string
  cellId: string
  situationId: string
  keyEpoch: number
  recipient: { memberId: string; box: BoxKeyPair }
  authorId: string
  authorSignPublicKey: Uint8Array
  /** From the situation log's key entry (or the rotation that made the key): what everyone must get. */
  expectedCommitment: Uint8Array
}

/** Refuses DPO and associates (CryptoPolicyError recipient_not_allowed) before sealing anything. */
export function sealNominativeKey({ nominativeKey, ...rest }: SealLayerKeyInput & { nominativeKey: SituationKey }): Uint8Array {
  return sealLayerKey({ layer: 'nominative', layerKey: nominativeKey, ...rest })
}

export function openNominativeKey(input: OpenLayerKeyInput): SituationKey {
  return openLayerKey({ layer: 'nominative', ...input })
}

/** Also refuses any recipient not declared a health professional (DESIGN rule 7). */
export function sealMedicalKey({ medicalKey, ...rest }: SealLayerKeyInput & { medicalKey: SituationKey }): Uint8Array {
  return sealLayerKey({ layer: 'medical', layerKey: medicalKey, ...rest })
}

export function openMedicalKey(input: OpenLayerKeyInput): SituationKey {
  return openLayerKey({ layer: 'medical', ...input })
}

import { z } from 'zod'
import { ByteReader, ByteWriter, bytesEqual } from './encoding.ts'
import { CryptoPolicyError, CryptoVerificationError } from './errors.ts'
import {
  BOX_PUBLIC_KEY_BYTES,
  COMMITMENT_BYTES,
  HASH_BYTES,
  KEY_BYTES,
  SEAL_OVERHEAD_BYTES,
  SIGNATURE_BYTES,
  bytesSchema,
  codeLookup,
  fixedBytes,
  parseFormat,
  type MemberRole,
} from './formats.ts'
import {
  assertSignature,
  signatureDigest,
  keyCommitment,
  openSealed,
  sealToPublicKey,
  sign,
  type BoxKeyPair,
} from './primitives.ts'

/**
 * Keys delivered to one member by sealed box, then signed by whoever distributed them.
 * `index` is the blind-index key of a cell epoch (IXK[e]); `intake` the 32-byte seed of an intake
 * key pair (INTAKE[j]), sealed to the triage set only.
 */
export const sealedKeyKinds = { cell_epoch: 1, nominative: 2, medical: 3, index: 4, intake: 5 } as const
export type SealedKeyKind = keyof typeof sealedKeyKinds

/** `healthProfessional` is what the roster (or the situation log) declares; only `medical` reads it. */
export type SealedKeyRecipient = { memberId: string; role: MemberRole; boxPublicKey: Uint8Array; healthProfessional?: boolean }
export type SealedKeySigner = { memberId: string; signSecretKey: Uint8Array }

/** Version 2 adds the roster seq and head the seal was made under (review §2b). */
export const SEALED_KEY_VERSION = 2
const SIGNATURE_DOMAIN = 'cellule/sealed-key/v2'

/**
 * Who may hold which key: the DPO never holds content keys; associates never nominative or
 * medical ones (§7); the medical key only goes to declared health professionals (rule 7).
 */
export function assertRecipientAllowed({
  kind,
  role,
  healthProfessional = false,
}: {
  kind: SealedKeyKind
  role: MemberRole
  healthProfessional?: boolean
}): void {
  switch (kind) {
    case 'cell_epoch':
      if (role === 'dpo') {
        throw new CryptoPolicyError({ code: 'recipient_not_allowed', message: 'Le DPO ne reçoit aucune clé de contenu.' })
      }
      return
    case 'nominative':
    case 'index':
      if (role === 'dpo' || role === 'associate') {
        throw new CryptoPolicyError({
          code: 'recipient_not_allowed',
          message: 'Une clé nominative (ou la clé d’index des doublons) ne peut être remise ni au DPO ni à un membre associé.',
        })
      }
      return
    case 'intake':
      if (role !== 'coordinator') {
        throw new CryptoPolicyError({
          code: 'recipient_not_allowed',
          message: 'Les clés de saisine ne sont remises qu’aux personnes chargées du tri (la coordination).',
        })
      }
      return
    case 'medical':
      if (role === 'dpo' || role === 'associate') {
        throw new CryptoPolicyError({
          code: 'recipient_not_allowed',
          message: 'Une clé médicale ne peut être remise ni au DPO ni à un membre associé.',
        })
      }
      if (!healthProfessional) {
        throw new CryptoPolicyError({
          code: 'recipient_not_allowed',
          message: 'Une clé médicale ne peut être remise qu’à un membre déclaré professionnel de santé.',
        })
      }
      return
    default: {
      const unreachable: never = kind
      throw new Error(`unknown kind ${String(unreachable)}`)
    }
  }
}

const kindFromCode = codeLookup({ table: sealedKeyKinds, what: 'Type de clé scellée' })

export const sealedKeySchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(SEALED_KEY_VERSION)
    const kind = kindFromCode(reader.u8())
    const keyEpoch = reader.u32()
    const cellId = reader.string()
    const situationId = reader.string()
    const recipientId = reader.string()
    const signerId = reader.string()
    const rosterSeq = reader.u32()
    const rosterHeadHash = reader.bytes(HASH_BYTES)
    const recipientBoxPublicKey = reader.bytes(BOX_PUBLIC_KEY_BYTES)
    const commitment = reader.bytes(COMMITMENT_BYTES)
    const sealed = reader.bytes(SEAL_OVERHEAD_BYTES + KEY_BYTES)
    const signedLength = reader.position
    const signature = reader.bytes(SIGNATURE_BYTES)
    reader.end()
    return {
      kind,
      keyEpoch,
      cellId,
      situationId,
      recipientId,
      signerId,
      rosterSeq,
      rosterHeadHash,
      recipientBoxPublicKey,
      commitment,
      sealed,
      signedBytes: bytes.subarray(0, signedLength),
      signature,
    }
  })
  .pipe(
    z.object({
      kind: z.enum(Object.keys(sealedKeyKinds) as [SealedKeyKind, ...SealedKeyKind[]]),
      keyEpoch: z.number(),
      cellId: z.string().min(1),
      situationId: z.string(),
      recipientId: z.string().min(1),
      signerId: z.string().min(1),
      rosterSeq: z.number(),
      rosterHeadHash: fixedBytes(HASH_BYTES),
      recipientBoxPublicKey: fixedBytes(BOX_PUBLIC_KEY_BYTES),
      commitment: fixedBytes(COMMITMENT_BYTES),
      sealed: fixedBytes(SEAL_OVERHEAD_BYTES + KEY_BYTES),
      signedBytes: bytesSchema,
      signature: fixedBytes(SIGNATURE_BYTES),
    }),
  )

export type SealedKeyContext = { kind: SealedKeyKind; keyEpoch: number; cellId: string; situationId: string }
/** The roster state the distributor sealed under: a reader checks the head is in its own chain. */
export type SealedKeyAnchor = { rosterSeq: number; rosterHeadHash: Uint8Array }

/**
 * `0x02 | kind | epoch u32 | cellId | situationId | recipientId | signerId | rosterSeq u32
 *  | rosterHeadHash(32) | recipientBoxPk(32) | commitment(32) | sealed(80) | Ed25519(signer, H(all before))(64)`.
 */
export function sealKeyToMember({
  context,
  anchor,
  key,
  recipient,
  signer,
}: {
  context: SealedKeyContext
  anchor: SealedKeyAnchor
  key: Uint8Array
  recipient: SealedKeyRecipient
  signer: SealedKeySigner
}): Uint8Array {
  assertRecipientAllowed({ kind: context.kind, role: recipient.role, healthProfessional: recipient.healthProfessional })
  if (anchor.rosterHeadHash.length !== HASH_BYTES) {
    throw new CryptoPolicyError({ code: 'invalid_input', message: 'Tête du registre invalide pour la clé scellée.' })
  }
  const signedBytes = new ByteWriter()
    .u8(SEALED_KEY_VERSION)
    .u8(sealedKeyKinds[context.kind])
    .u32(context.keyEpoch)
    .string(context.cellId)
    .string(context.situationId)
    .string(recipient.memberId)
    .string(signer.memberId)
    .u32(anchor.rosterSeq)
    .bytes(anchor.rosterHeadHash)
    .bytes(recipient.boxPublicKey)
    .bytes(keyCommitment(key))
    .bytes(sealToPublicKey({ message: key, recipientPublicKey: recipient.boxPublicKey }))
    .finish()
  const signature = sign({
    message: signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes }),
    secretKey: signer.signSecretKey,
  })
  return new ByteWriter().bytes(signedBytes).bytes(signature).finish()
}

export type OpenSealedKeyResult = { key: Uint8Array; commitment: Uint8Array; signerId: string } & SealedKeyAnchor

/** The unauthenticated header of a sealed key: who claims to have sealed it, under which roster head. */
export function peekSealedKey(wrap: Uint8Array | string): { kind: SealedKeyKind; keyEpoch: number; recipientId: string; signerId: string } & SealedKeyAnchor {
  const parsed = parseFormat({ schema: sealedKeySchema, input: wrap, name: 'Clé scellée' })
  return { kind: parsed.kind, keyEpoch: parsed.keyEpoch, recipientId: parsed.recipientId, signerId: parsed.signerId, rosterSeq: parsed.rosterSeq, rosterHeadHash: parsed.rosterHeadHash }
}

/** Signature first (who distributed it), then the seal, then the commitment (same key as everyone). */
export function openKeySealedToMember({
  wrap,
  context,
  recipient,
  signerId,
  signerPublicKey,
  expectedCommitment,
}: {
  wrap: Uint8Array | string
  context: SealedKeyContext
  recipient: { memberId: string; box: BoxKeyPair }
  signerId: string
  signerPublicKey: Uint8Array
  expectedCommitment?: Uint8Array
}): OpenSealedKeyResult {
  const parsed = parseFormat({ schema: sealedKeySchema, input: wrap, name: 'Clé scellée' })
  if (
    parsed.kind !== context.kind ||
    parsed.keyEpoch !== context.keyEpoch ||
    parsed.cellId !== context.cellId ||
    parsed.situationId !== context.situationId ||
    parsed.recipientId !== recipient.memberId ||
    parsed.signerId !== signerId ||
    !bytesEqual(parsed.recipientBoxPublicKey, recipient.box.publicKey)
  ) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: 'Clé scellée : contexte inattendu.' })
  }
  assertSignature({
    signature: parsed.signature,
    message: signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes: parsed.signedBytes }),
    publicKey: signerPublicKey,
    what: 'Clé scellée',
  })
  const key = openSealed({ sealed: parsed.sealed, recipient: recipient.box, what: 'Clé scellée' })
  const commitment = keyCommitment(key)
  if (!bytesEqual(commitment, parsed.commitment) || (expectedCommitment && !bytesEqual(commitment, expectedCommitment))) {
    throw new CryptoVerificationError({ code: 'commitment_mismatch', message: 'Clé scellée : engagement différent.' })
  }
  return { key, commitment, signerId: parsed.signerId, rosterSeq: parsed.rosterSeq, rosterHeadHash: parsed.rosterHeadHash }
}

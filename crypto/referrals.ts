import { z } from 'zod'
import { ByteReader, ByteWriter, utf8 } from './encoding.ts'
import { CryptoFormatError, CryptoVerificationError } from './errors.ts'
import {
  BOX_PUBLIC_KEY_BYTES,
  FORMAT_VERSION,
  SIGNATURE_BYTES,
  bytesSchema,
  fixedBytes,
  idSchema,
  parseFormat,
  parseInput,
} from './formats.ts'
import { formatHumanCode, generateHumanCode, parseHumanCode } from './human-code.ts'
import type { IntakeKeys, IntakePublic } from './intake.ts'
import { padToBucket, unpadFromBucket } from './padding.ts'
import {
  assertSignature,
  boxKeyPairFromSeed,
  domainHash,
  signatureDigest,
  openSealed,
  sealToPublicKey,
  sign,
  wipe,
  type BoxKeyPair,
} from './primitives.ts'
import { sodium } from './sodium.ts'

const REPLY_CODE_BYTES = 16

export type ReplyCredentials = { replyKeyPair: BoxKeyPair; fetchToken: Uint8Array; fetchTokenHash: Uint8Array }

/** The doctor's 128-bit reply code; it stays in the URL fragment and on the printed receipt. */
export function createReplyCode(): { secret: Uint8Array; code: string } {
  return generateHumanCode()
}

export function replyCodeFromSecret(secret: Uint8Array): string {
  return formatHumanCode(secret)
}

/** Reply key pair and fetch token from the code; the server stores only the token's hash. */
export function deriveReplyCredentials(replyCode: string | Uint8Array): ReplyCredentials {
  const parsed = typeof replyCode === 'string'
  const secret = parsed ? parseHumanCode(replyCode) : replyCode
  try {
    if (secret.length !== REPLY_CODE_BYTES) {
      throw new CryptoFormatError({ code: 'bad_length', message: 'Un code de réponse porte 128 bits.' })
    }
    const seed = sodium.crypto_generichash(32, utf8('cellule/reply-keypair/v1'), secret)
    const fetchToken = sodium.crypto_generichash(32, utf8('cellule/reply-fetch-token/v1'), secret)
    const replyKeyPair = boxKeyPairFromSeed(seed)
    wipe(seed)
    return { replyKeyPair, fetchToken, fetchTokenHash: hashFetchToken(fetchToken) }
  } finally {
    // A code parsed here is ours to wipe; bytes the caller passed stay theirs.
    if (parsed) wipe(secret)
  }
}

/** What the server computes on each fetch and compares with the stored hash. */
export function hashFetchToken(fetchToken: Uint8Array): Uint8Array {
  return domainHash({ domain: 'cellule/reply-fetch-token-hash/v1', parts: [fetchToken] })
}

export const referralInputSchema = z.object({
  referralId: idSchema,
  cellId: idSchema,
  createdAtMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  content: bytesSchema,
})
export type ReferralInput = { referralId: string; cellId: string; createdAtMs: number; content: Uint8Array }
export type OpenedReferral = ReferralInput & { intakeIndex: number; replyPublicKey: Uint8Array }

/**
 * Blob v1: `0x01 | intakeIndex u32 | sealed box`. Sealed boxes have no AD, so the ids
 * live inside: `0x01 | referralId | cellId | intakeIndex u32 | createdAt u64 | replyPk(32)
 * | u32-prefixed content`, padded to a bucket.
 */
export function sealReferral({
  referral,
  intake,
  replyPublicKey,
}: {
  referral: ReferralInput
  intake: IntakePublic
  replyPublicKey: Uint8Array
}): Uint8Array {
  const checked = parseInput({ schema: referralInputSchema, input: referral, name: 'Saisine' })
  const plaintext = new ByteWriter()
    .u8(FORMAT_VERSION)
    .string(checked.referralId)
    .string(checked.cellId)
    .u32(intake.index)
    .u64(checked.createdAtMs)
    .bytes(replyPublicKey)
    .longBytes(checked.content)
    .finish()
  const sealed = sealToPublicKey({ message: padToBucket(plaintext), recipientPublicKey: intake.boxPublicKey })
  return new ByteWriter().u8(FORMAT_VERSION).u32(intake.index).bytes(sealed).finish()
}

const sealedEnvelopeSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(FORMAT_VERSION)
    return { intakeIndex: reader.u32(), sealed: reader.rest() }
  })
  .pipe(z.object({ intakeIndex: z.number(), sealed: bytesSchema.refine((value) => value.length > 48, { params: { code: 'bad_length' } }) }))

const referralPlaintextSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(FORMAT_VERSION)
    const referralId = reader.string()
    const cellId = reader.string()
    const intakeIndex = reader.u32()
    const createdAtMs = reader.u64()
    const replyPublicKey = reader.bytes(BOX_PUBLIC_KEY_BYTES)
    const content = reader.longBytes()
    reader.end()
    return { referralId, cellId, intakeIndex, createdAtMs, replyPublicKey, content }
  })
  .pipe(
    z.object({
      referralId: idSchema,
      cellId: idSchema,
      intakeIndex: z.number(),
      createdAtMs: z.number(),
      replyPublicKey: fixedBytes(BOX_PUBLIC_KEY_BYTES),
      content: bytesSchema,
    }),
  )

export function openReferral({
  sealedReferral,
  intake,
  expected,
}: {
  sealedReferral: Uint8Array | string
  intake: IntakeKeys
  expected: { cellId: string; referralId: string }
}): OpenedReferral {
  const envelope = parseFormat({ schema: sealedEnvelopeSchema, input: sealedReferral, name: 'Saisine' })
  if (envelope.intakeIndex !== intake.index) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: 'Saisine scellée pour une autre clé de la cellule.' })
  }
  const padded = openSealed({ sealed: envelope.sealed, recipient: intake.box, what: 'Saisine' })
  const opened = parseFormat({ schema: referralPlaintextSchema, input: unpadFromBucket(padded), name: 'Saisine' })
  if (
    opened.cellId !== expected.cellId ||
    opened.cellId !== intake.cellId ||
    opened.referralId !== expected.referralId ||
    opened.intakeIndex !== intake.index
  ) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: 'Saisine : identifiants inattendus.' })
  }
  return opened
}

const FEEDBACK_SIGNATURE_DOMAIN = 'cellule/feedback-signature/v1'

const feedbackSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(FORMAT_VERSION)
    const intakeIndex = reader.u32()
    const referralId = reader.string()
    const cellId = reader.string()
    const sealed = reader.longBytes()
    const signedEnd = reader.position
    const signature = reader.bytes(SIGNATURE_BYTES)
    reader.end()
    return { intakeIndex, referralId, cellId, sealed, signedBytes: bytes.subarray(0, signedEnd), signature }
  })
  .pipe(
    z.object({
      intakeIndex: z.number(),
      referralId: idSchema,
      cellId: idSchema,
      sealed: bytesSchema.refine((value) => value.length > 48, { params: { code: 'bad_length' } }),
      signedBytes: bytesSchema,
      signature: fixedBytes(SIGNATURE_BYTES),
    }),
  )

const feedbackPlaintextSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(FORMAT_VERSION)
    const referralId = reader.string()
    const cellId = reader.string()
    const createdAtMs = reader.u64()
    const body = reader.longBytes()
    reader.end()
    return { referralId, cellId, createdAtMs, body }
  })
  .pipe(z.object({ referralId: idSchema, cellId: idSchema, createdAtMs: z.number(), body: bytesSchema }))

export type Feedback = { referralId: string; cellId: string; createdAtMs: number; body: Uint8Array }

/**
 * Blob v1: `0x01 | intakeIndex u32 | referralId | cellId | u32-prefixed sealed box
 * | Ed25519(intake signing key, H(all before))`; plaintext `0x01 | referralId | cellId
 * | createdAt u64 | u32-prefixed body`, padded.
 */
export function sealFeedback({
  feedback,
  replyPublicKey,
  intake,
}: {
  feedback: Feedback
  replyPublicKey: Uint8Array
  intake: IntakeKeys
}): Uint8Array {
  const plaintext = new ByteWriter()
    .u8(FORMAT_VERSION)
    .string(feedback.referralId)
    .string(feedback.cellId)
    .u64(feedback.createdAtMs)
    .longBytes(feedback.body)
    .finish()
  const sealed = sealToPublicKey({ message: padToBucket(plaintext), recipientPublicKey: replyPublicKey })
  const signedBytes = new ByteWriter()
    .u8(FORMAT_VERSION)
    .u32(intake.index)
    .string(feedback.referralId)
    .string(feedback.cellId)
    .longBytes(sealed)
    .finish()
  const signature = sign({
    message: signatureDigest({ domain: FEEDBACK_SIGNATURE_DOMAIN, signedBytes }),
    secretKey: intake.signing.secretKey,
  })
  return new ByteWriter().bytes(signedBytes).bytes(signature).finish()
}

/** The doctor's page: signature by the cell's intake key first, then the seal, then the ids. */
export function openFeedback({
  sealedFeedback,
  replyCode,
  expected,
  intakeSignPublicKey,
}: {
  sealedFeedback: Uint8Array | string
  replyCode: string | Uint8Array
  expected: { referralId: string; cellId: string }
  intakeSignPublicKey: Uint8Array
}): Feedback {
  const parsed = parseFormat({ schema: feedbackSchema, input: sealedFeedback, name: 'Retour' })
  if (parsed.referralId !== expected.referralId || parsed.cellId !== expected.cellId) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: 'Retour destiné à une autre saisine.' })
  }
  assertSignature({
    signature: parsed.signature,
    message: signatureDigest({ domain: FEEDBACK_SIGNATURE_DOMAIN, signedBytes: parsed.signedBytes }),
    publicKey: intakeSignPublicKey,
    what: 'Retour de la cellule',
  })
  const { replyKeyPair } = deriveReplyCredentials(replyCode)
  const padded = openSealed({ sealed: parsed.sealed, recipient: replyKeyPair, what: 'Retour' })
  const opened = parseFormat({ schema: feedbackPlaintextSchema, input: unpadFromBucket(padded), name: 'Retour' })
  if (opened.referralId !== expected.referralId || opened.cellId !== expected.cellId) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: 'Retour : identifiants inattendus.' })
  }
  return opened
}


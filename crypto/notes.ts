import { z } from 'zod'
import { ByteReader, ByteWriter } from './encoding.ts'
import { CryptoVerificationError } from './errors.ts'
import {
  FORMAT_VERSION,
  KEY_ID_BYTES,
  NONCE_BYTES,
  SIGNATURE_BYTES,
  bytesSchema,
  idSchema,
  layerCodes,
  layerFromCode,
  parseFormat,
  refineIds,
  parseInput,
  type Layer,
} from './formats.ts'
import { decodeWrappedKey, unwrapKey, wrapKey, wrappedKeyLength, type WrapContext } from './key-wrap.ts'
import { padToBucket, unpadFromBucket } from './padding.ts'
import { aeadDecrypt, aeadEncrypt, keyId, randomKey, randomNonce, sign, signatureDigest, verifySignature } from './primitives.ts'
import type { SituationKey } from './situation-keys.ts'

const SIGNATURE_DOMAIN = 'cellule/note-signature/v1'

export const noteContextSchema = z.object({
  cellId: idSchema,
  situationId: idSchema,
  noteId: idSchema,
  revision: z.number().int().min(0).max(0xffffffff),
})
export type NoteContext = z.infer<typeof noteContextSchema>

export type NoteHeader = NoteContext & {
  layer: Layer
  keyEpoch: number
  authorId: string
  situationKeyId: Uint8Array
  noteKeyId: Uint8Array
}

/** Only used by golden vectors: every random input made explicit. */
export type NoteRandomness = { noteKey: Uint8Array; noteKeyNonce: Uint8Array; bodyNonce: Uint8Array }

/** The AD of a note body: exported for vectors and for tests that forge moved notes. */
export function encodeNoteHeader(header: NoteHeader): Uint8Array {
  return new ByteWriter()
    .u8(FORMAT_VERSION)
    .u8(layerCodes[header.layer])
    .u32(header.revision)
    .u32(header.keyEpoch)
    .string(header.cellId)
    .string(header.situationId)
    .string(header.noteId)
    .string(header.authorId)
    .bytes(header.situationKeyId)
    .bytes(header.noteKeyId)
    .finish()
}

/** The note key's wrap is bound to the whole header (every AD field of the body). */
function noteKeyContext(headerBytes: Uint8Array): WrapContext {
  return [headerBytes]
}

const NOTE_KEY_WRAP_BYTES = wrappedKeyLength('note_key')

export const noteEnvelopeSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(FORMAT_VERSION)
    const layer = layerFromCode(reader.u8())
    const revision = reader.u32()
    const keyEpoch = reader.u32()
    const cellId = reader.string()
    const situationId = reader.string()
    const noteId = reader.string()
    const authorId = reader.string()
    const situationKeyId = reader.bytes(KEY_ID_BYTES)
    const noteKeyId = reader.bytes(KEY_ID_BYTES)
    const headerEnd = reader.position
    const wrappedNoteKeyBytes = reader.bytes(NOTE_KEY_WRAP_BYTES)
    const wrappedNoteKey = decodeWrappedKey(wrappedNoteKeyBytes)
    const bodyNonce = reader.bytes(NONCE_BYTES)
    const ciphertext = reader.longBytes()
    const signedEnd = reader.position
    const signature = reader.bytes(SIGNATURE_BYTES)
    reader.end()
    return {
      header: { layer, revision, keyEpoch, cellId, situationId, noteId, authorId, situationKeyId, noteKeyId },
      headerBytes: bytes.subarray(0, headerEnd),
      wrappedNoteKey,
      wrappedNoteKeyBytes,
      bodyNonce,
      ciphertext,
      signedBytes: bytes.subarray(0, signedEnd),
      signature,
    }
  })
  .superRefine((value, ctx) => {
    const { cellId, situationId, noteId, authorId } = value.header
    refineIds({ ctx, ids: { cellId, situationId, noteId, authorId } })
  })

/**
 * Envelope v1: header (= AD) `0x01 | layer | revision u32 | keyEpoch u32 | cellId | situationId
 * | noteId | authorId | situationKeyId(16) | noteKeyId(16)`, then the note key wrapped under
 * the situation key (74), body nonce (24), u32-prefixed ciphertext, Ed25519 signature (64)
 * over BLAKE2b(everything before it).
 */
export function sealNote({
  context,
  layer,
  author,
  situationKey,
  body,
  randomness,
}: {
  context: NoteContext
  layer: Layer
  author: { memberId: string; signSecretKey: Uint8Array }
  situationKey: SituationKey
  body: Uint8Array
  randomness?: NoteRandomness
}): Uint8Array {
  const checked = parseInput({ schema: noteContextSchema, input: context, name: 'Contexte de note' })
  const noteKey = randomness?.noteKey ?? randomKey()
  const header: NoteHeader = {
    ...checked,
    layer,
    keyEpoch: situationKey.keyEpoch,
    authorId: author.memberId,
    situationKeyId: situationKey.keyId,
    noteKeyId: keyId(noteKey),
  }
  const headerBytes = encodeNoteHeader(header)
  const wrappedNoteKey = wrapKey({
    key: noteKey,
    wrappingKey: situationKey.key,
    purpose: 'note_key',
    context: noteKeyContext(headerBytes),
    nonce: randomness?.noteKeyNonce,
  })
  const bodyNonce = randomness?.bodyNonce ?? randomNonce()
  const ciphertext = aeadEncrypt({ plaintext: padToBucket(body), associatedData: headerBytes, nonce: bodyNonce, key: noteKey })
  const signedBytes = new ByteWriter().bytes(headerBytes).bytes(wrappedNoteKey).bytes(bodyNonce).longBytes(ciphertext).finish()
  const signature = sign({
    message: signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes }),
    secretKey: author.signSecretKey,
  })
  return new ByteWriter().bytes(signedBytes).bytes(signature).finish()
}

export type NoteVerification = 'pending' | 'verified' | 'rejected'

/** An opened note is `pending` until its author signature is checked; never show it as normal. */
export type OpenedNote = {
  header: NoteHeader
  body: Uint8Array
  noteKey: Uint8Array
  verification: NoteVerification
  signedBytes: Uint8Array
  signature: Uint8Array
}

function sameContext({ header, expected }: { header: NoteHeader; expected: NoteContext & { layer?: Layer } }): boolean {
  return (
    header.cellId === expected.cellId &&
    header.situationId === expected.situationId &&
    header.noteId === expected.noteId &&
    header.revision === expected.revision &&
    (expected.layer === undefined || header.layer === expected.layer)
  )
}

function sameKeyId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}

/**
 * Fast path for the first screen: parse, check the context the app asked for, open the
 * AEAD. The author signature is left `pending` for verifyNote / verifyNotesInBackground.
 */
export function openNote({
  envelope,
  expected,
  situationKeys,
}: {
  envelope: Uint8Array | string
  expected: NoteContext & { layer?: Layer }
  situationKeys: readonly SituationKey[]
}): OpenedNote {
  const parsed = parseFormat({ schema: noteEnvelopeSchema, input: envelope, name: 'Note' })
  const { header } = parsed
  if (!sameContext({ header, expected })) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: 'Note déplacée ou révision inattendue.' })
  }
  const situationKey = situationKeys.find((candidate) => sameKeyId(candidate.keyId, header.situationKeyId))
  if (!situationKey || situationKey.keyEpoch !== header.keyEpoch) {
    throw new CryptoVerificationError({ code: 'decryption_failed', message: 'Note : clé de situation indisponible.' })
  }
  const noteKey = unwrapKey({
    wrapped: parsed.wrappedNoteKey,
    wrappingKey: situationKey.key,
    purpose: 'note_key',
    context: noteKeyContext(parsed.headerBytes),
  })
  if (!sameKeyId(keyId(noteKey), header.noteKeyId)) {
    throw new CryptoVerificationError({ code: 'commitment_mismatch', message: 'Note : clé de note inattendue.' })
  }
  const padded = aeadDecrypt({
    ciphertext: parsed.ciphertext,
    associatedData: parsed.headerBytes,
    nonce: parsed.bodyNonce,
    key: noteKey,
    what: 'Note',
  })
  return {
    header,
    body: unpadFromBucket(padded),
    noteKey,
    verification: 'pending',
    signedBytes: parsed.signedBytes,
    signature: parsed.signature,
  }
}

/** Author key unknown, or signature wrong: `rejected`. Returns a new object, never mutates. */
export function verifyNote({
  note,
  authorSignPublicKey,
}: {
  note: OpenedNote
  /** One key, or every key the author has had (newest last) so notes survive a key change. */
  authorSignPublicKey: Uint8Array | readonly Uint8Array[] | undefined
}): OpenedNote {
  const candidates = authorSignPublicKey === undefined ? [] : authorSignPublicKey instanceof Uint8Array ? [authorSignPublicKey] : authorSignPublicKey
  let verified = false
  if (candidates.length > 0) {
    const message = signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes: note.signedBytes })
    for (let index = candidates.length - 1; index >= 0 && !verified; index--) {
      const publicKey = candidates[index]
      if (publicKey) verified = verifySignature({ signature: note.signature, message, publicKey })
    }
  }
  return { ...note, verification: verified ? 'verified' : 'rejected' }
}

export type AuthorKeyResolver = (authorId: string) => Uint8Array | readonly Uint8Array[] | undefined

/** Opens and verifies at once (exports, single-note pages). Throws if the signature fails. */
export function openAndVerifyNote({
  envelope,
  expected,
  situationKeys,
  authorSignPublicKey,
}: {
  envelope: Uint8Array | string
  expected: NoteContext & { layer?: Layer }
  situationKeys: readonly SituationKey[]
  authorSignPublicKey: AuthorKeyResolver
}): OpenedNote {
  const opened = openNote({ envelope, expected, situationKeys })
  const checked = verifyNote({ note: opened, authorSignPublicKey: authorSignPublicKey(opened.header.authorId) })
  if (checked.verification !== 'verified') {
    throw new CryptoVerificationError({ code: 'bad_signature', message: 'Note : signature de l’auteur invalide.' })
  }
  return checked
}

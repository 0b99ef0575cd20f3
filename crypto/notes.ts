import { z } from 'zod'
import { ByteReader, ByteWriter, bytesEqual } from './encoding.ts'
import { CryptoPolicyError, CryptoVerificationError } from './errors.ts'
import {
  HASH_BYTES,
  KEY_ID_BYTES,
  NONCE_BYTES,
  SIGNATURE_BYTES,
  bytesSchema,
  fixedBytes,
  idSchema,
  layerCodes,
  layerFromCode,
  parseFormat,
  parseInput,
  refineIds,
  u32Schema,
  type Layer,
} from './formats.ts'
import { decodeWrappedKey, unwrapKey, wrapKey, wrappedKeyLength, type WrapContext } from './key-wrap.ts'
import { padToBucket, unpadFromBucket } from './padding.ts'
import {
  aeadDecrypt,
  aeadEncrypt,
  domainHash,
  keyId,
  randomKey,
  randomNonce,
  sign,
  signatureDigest,
  verifySignature,
  wipe,
} from './primitives.ts'
import type { SituationKey } from './situation-keys.ts'

/** Notes have their own version byte: v2 added the roster head, cell epoch, log seq, chain and time. */
export const NOTE_FORMAT_VERSION = 2
const SIGNATURE_DOMAIN = 'cellule/note-signature/v2'
const REVISION_HASH_DOMAIN = 'cellule/note-revision-hash/v1'

/** Where a note sits. Revisions count from 1. */
export const noteContextSchema = z.object({
  cellId: idSchema,
  situationId: idSchema,
  noteId: idSchema,
  revision: z.number().int().min(1).max(0xffffffff),
})
export type NoteContext = z.infer<typeof noteContextSchema>

/**
 * What the writer saw when writing, all signed: the roster head (seq and hash) and cell epoch, the
 * situation log's seq, the previous revision's hash (zeros for revision 1) and the time. Readers
 * check the head is in their own chain and take the author's key as of `rosterSeq`.
 */
export const noteProvenanceSchema = z.object({
  rosterSeq: u32Schema,
  rosterHeadHash: fixedBytes(HASH_BYTES),
  cellEpoch: u32Schema,
  situationLogSeq: u32Schema,
  prevRevisionHash: fixedBytes(HASH_BYTES),
  createdAtMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
})
export type NoteProvenance = {
  rosterSeq: number
  rosterHeadHash: Uint8Array
  cellEpoch: number
  situationLogSeq: number
  prevRevisionHash: Uint8Array
  createdAtMs: number
}

export type NoteHeader = NoteContext &
  NoteProvenance & {
    layer: Layer
    keyEpoch: number
    authorId: string
    situationKeyId: Uint8Array
    noteKeyId: Uint8Array
  }

const NO_PREVIOUS_REVISION = new Uint8Array(HASH_BYTES)

/** Revision 1 has no predecessor (all zeros); every later revision names one. */
function chainIsConsistent({ revision, prevRevisionHash }: { revision: number; prevRevisionHash: Uint8Array }): boolean {
  const isZero = bytesEqual(prevRevisionHash, NO_PREVIOUS_REVISION)
  return revision === 1 ? isZero : !isZero
}

/** The AD of a note body: exported for vectors and for tests that forge moved notes. */
export function encodeNoteHeader(header: NoteHeader): Uint8Array {
  return new ByteWriter()
    .u8(NOTE_FORMAT_VERSION)
    .u8(layerCodes[header.layer])
    .u32(header.revision)
    .u32(header.keyEpoch)
    .u32(header.cellEpoch)
    .u32(header.rosterSeq)
    .u32(header.situationLogSeq)
    .u64(header.createdAtMs)
    .string(header.cellId)
    .string(header.situationId)
    .string(header.noteId)
    .string(header.authorId)
    .bytes(header.rosterHeadHash)
    .bytes(header.prevRevisionHash)
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
    reader.version(NOTE_FORMAT_VERSION)
    const layer = layerFromCode(reader.u8())
    const revision = reader.u32()
    const keyEpoch = reader.u32()
    const cellEpoch = reader.u32()
    const rosterSeq = reader.u32()
    const situationLogSeq = reader.u32()
    const createdAtMs = reader.u64()
    const cellId = reader.string()
    const situationId = reader.string()
    const noteId = reader.string()
    const authorId = reader.string()
    const rosterHeadHash = reader.bytes(HASH_BYTES)
    const prevRevisionHash = reader.bytes(HASH_BYTES)
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
    const header: NoteHeader = {
      layer,
      revision,
      keyEpoch,
      cellEpoch,
      rosterSeq,
      situationLogSeq,
      createdAtMs,
      cellId,
      situationId,
      noteId,
      authorId,
      rosterHeadHash,
      prevRevisionHash,
      situationKeyId,
      noteKeyId,
    }
    return {
      header,
      headerBytes: bytes.subarray(0, headerEnd),
      wrappedNoteKey,
      wrappedNoteKeyBytes,
      bodyNonce,
      ciphertext,
      signedBytes: bytes.subarray(0, signedEnd),
      signature,
      envelopeBytes: bytes,
    }
  })
  .superRefine((value, ctx) => {
    const { cellId, situationId, noteId, authorId, revision, prevRevisionHash } = value.header
    refineIds({ ctx, ids: { cellId, situationId, noteId, authorId } })
    if (revision < 1 || !chainIsConsistent({ revision, prevRevisionHash })) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'révision et révision précédente incohérentes', path: ['revision'] })
    }
  })

/** What revision r+1 names as `prevRevisionHash`: BLAKE2b-256 of the whole envelope of revision r. */
export function noteRevisionHash(envelope: Uint8Array): Uint8Array {
  return domainHash({ domain: REVISION_HASH_DOMAIN, parts: [envelope] })
}

/**
 * Envelope v2: header (= AD) `0x02 | layer | revision u32 | keyEpoch u32 | cellEpoch u32 |
 * rosterSeq u32 | situationLogSeq u32 | createdAtMs u64 | cellId | situationId | noteId | authorId
 * | rosterHeadHash(32) | prevRevisionHash(32) | situationKeyId(16) | noteKeyId(16)`, then the
 * note key wrapped under the layer key (74), body nonce (24), u32-prefixed ciphertext, Ed25519
 * signature (64) over BLAKE2b(everything before it).
 */
export function sealNote({
  context,
  provenance,
  layer,
  author,
  situationKey,
  body,
}: {
  context: NoteContext
  provenance: NoteProvenance
  layer: Layer
  author: { memberId: string; signSecretKey: Uint8Array }
  situationKey: SituationKey
  body: Uint8Array
}): Uint8Array {
  const checked = parseInput({ schema: noteContextSchema, input: context, name: 'Contexte de note' })
  const written = parseInput({ schema: noteProvenanceSchema, input: provenance, name: 'Provenance de note' })
  if (situationKey.layer !== layer) {
    throw new CryptoPolicyError({
      code: 'invalid_input',
      message: `Note de la couche ${layer} : la clé fournie est celle de la couche ${situationKey.layer}.`,
    })
  }
  if (!chainIsConsistent({ revision: checked.revision, prevRevisionHash: written.prevRevisionHash })) {
    throw new CryptoPolicyError({
      code: 'invalid_input',
      message: 'La révision 1 n’a pas de révision précédente ; toute autre révision doit nommer la précédente.',
    })
  }
  const noteKey = randomKey()
  try {
    const header: NoteHeader = {
      ...checked,
      ...written,
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
    })
    const bodyNonce = randomNonce()
    const ciphertext = aeadEncrypt({ plaintext: padToBucket(body), associatedData: headerBytes, nonce: bodyNonce, key: noteKey })
    const signedBytes = new ByteWriter().bytes(headerBytes).bytes(wrappedNoteKey).bytes(bodyNonce).longBytes(ciphertext).finish()
    const signature = sign({
      message: signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes }),
      secretKey: author.signSecretKey,
    })
    return new ByteWriter().bytes(signedBytes).bytes(signature).finish()
  } finally {
    wipe(noteKey)
  }
}

/**
 * An opened note whose author signature is not checked yet. It has no `body`: the decrypted body
 * is held out of reach until verifyNote says `verified`, so unverified text cannot be rendered
 * (review §10a). Header fields are public metadata and may be shown ("note en cours de vérification").
 */
export type PendingNote = {
  readonly verification: 'pending'
  readonly header: NoteHeader
  /** What the next revision names as `prevRevisionHash`. */
  readonly revisionHash: Uint8Array
  readonly signedBytes: Uint8Array
  readonly signature: Uint8Array
}

export type VerifiedNote = {
  readonly verification: 'verified'
  readonly header: NoteHeader
  readonly revisionHash: Uint8Array
  readonly body: Uint8Array
  /** For the note's attachments (deriveAttachmentKey). */
  readonly noteKey: Uint8Array
}

/** `author_not_active`: the resolver knows no key for that author at that roster seq (PoC 4a). */
export type RejectedNote = {
  readonly verification: 'rejected'
  readonly header: NoteHeader
  readonly revisionHash: Uint8Array
  readonly reason: 'author_not_active' | 'bad_signature'
}

export type CheckedNote = VerifiedNote | RejectedNote

/** The key the author held at `rosterSeq`, or undefined if they were not an active member then. */
export type AuthorKeyResolver = (authorId: string, rosterSeq: number) => Uint8Array | undefined

const heldBodies = new WeakMap<PendingNote, { body: Uint8Array; noteKey: Uint8Array }>()

function sameContext({ header, expected }: { header: NoteHeader; expected: NoteContext & { layer: Layer } }): boolean {
  return (
    header.cellId === expected.cellId &&
    header.situationId === expected.situationId &&
    header.noteId === expected.noteId &&
    header.revision === expected.revision &&
    header.layer === expected.layer
  )
}

function sameKeyId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}

/**
 * Lazy path for long lists: parse, check the place and layer the app asked for, check the key
 * is of that layer, open the AEAD. The result is `pending` and carries no body until verifyNote.
 */
export function openNote({
  envelope,
  expected,
  situationKeys,
}: {
  envelope: Uint8Array | string
  expected: NoteContext & { layer: Layer }
  situationKeys: readonly SituationKey[]
}): PendingNote {
  const parsed = parseFormat({ schema: noteEnvelopeSchema, input: envelope, name: 'Note' })
  const { header } = parsed
  if (!sameContext({ header, expected })) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: 'Note déplacée, d’une autre couche ou révision inattendue.' })
  }
  const situationKey = situationKeys.find((candidate) => sameKeyId(candidate.keyId, header.situationKeyId))
  if (!situationKey || situationKey.keyEpoch !== header.keyEpoch) {
    throw new CryptoVerificationError({ code: 'decryption_failed', message: 'Note : clé de situation indisponible.' })
  }
  // A note labelled nominative under the pseudonymised key would reach associates (PoC 3a).
  if (situationKey.layer !== header.layer) {
    throw new CryptoVerificationError({ code: 'context_mismatch', message: 'Note : la clé n’est pas celle de la couche annoncée.' })
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
  const pending: PendingNote = Object.freeze({
    verification: 'pending',
    header,
    revisionHash: noteRevisionHash(parsed.envelopeBytes),
    signedBytes: parsed.signedBytes,
    signature: parsed.signature,
  })
  heldBodies.set(pending, { body: unpadFromBucket(padded), noteKey })
  return pending
}

/** Checks the signature with the author's key as of the note's roster seq; never throws on a bad one. */
export function verifyNote({ note, authorKeyAt }: { note: PendingNote; authorKeyAt: AuthorKeyResolver }): CheckedNote {
  const held = heldBodies.get(note)
  if (!held) {
    throw new CryptoPolicyError({ code: 'invalid_input', message: 'Note : seule une note ouverte par openNote peut être vérifiée.' })
  }
  const { header, revisionHash } = note
  const publicKey = authorKeyAt(header.authorId, header.rosterSeq)
  if (!publicKey) return { verification: 'rejected', header, revisionHash, reason: 'author_not_active' }
  const message = signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes: note.signedBytes })
  if (!verifySignature({ signature: note.signature, message, publicKey })) {
    return { verification: 'rejected', header, revisionHash, reason: 'bad_signature' }
  }
  return { verification: 'verified', header, revisionHash, body: held.body, noteKey: held.noteKey }
}

/** Opens and verifies at once (first screen, exports, single-note pages). Throws unless verified. */
export function openAndVerifyNote({
  envelope,
  expected,
  situationKeys,
  authorKeyAt,
}: {
  envelope: Uint8Array | string
  expected: NoteContext & { layer: Layer }
  situationKeys: readonly SituationKey[]
  authorKeyAt: AuthorKeyResolver
}): VerifiedNote {
  const checked = verifyNote({ note: openNote({ envelope, expected, situationKeys }), authorKeyAt })
  if (checked.verification === 'rejected') {
    throw checked.reason === 'author_not_active'
      ? new CryptoVerificationError({ code: 'unknown_signer', message: 'Note : l’auteur n’était pas membre actif quand elle a été écrite.' })
      : new CryptoVerificationError({ code: 'bad_signature', message: 'Note : signature de l’auteur invalide.' })
  }
  return checked
}

/**
 * The roster head a note was written under must be in the reader's own validated chain
 * (`linkHashes` of RosterState): otherwise the writer saw a fork, or the reader is behind.
 */
export function assertWrittenUnderKnownHead({
  note,
  linkHashes,
}: {
  note: { header: Pick<NoteHeader, 'rosterSeq' | 'rosterHeadHash'> }
  linkHashes: readonly Uint8Array[]
}): void {
  const known = linkHashes[note.header.rosterSeq]
  if (!known) {
    throw new CryptoVerificationError({
      code: 'context_mismatch',
      message: 'Note écrite sous un état du registre que vous n’avez pas encore : rechargez le registre.',
    })
  }
  if (!bytesEqual(known, note.header.rosterHeadHash)) {
    throw new CryptoVerificationError({
      code: 'roster_fork',
      message: 'Note écrite sous un registre différent du vôtre : prévenez un coordinateur.',
    })
  }
}

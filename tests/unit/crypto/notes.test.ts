import {
  createSituationKey,
  encodeNoteHeader,
  initCrypto,
  noteEnvelopeSchema,
  openAndVerifyNote,
  openNote,
  sealNote,
  verifyNote,
  verifyNotesInBackground,
  type NoteHeader,
  type OpenedNote,
} from '#crypto/index.ts'
import { ByteWriter } from '#crypto/encoding.ts'
import { CryptoError } from '#crypto/errors.ts'
import { isBucketLength } from '#crypto/padding.ts'
import { sign, signatureDigest } from '#crypto/primitives.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { author, expectCryptoError, flipByte, makeMember, type TestMember } from './helpers.ts'

let alice: TestMember
let mallory: TestMember
const context = { cellId: 'cell-1', situationId: 'sit-1', noteId: 'note-1', revision: 3 }

beforeAll(async () => {
  await initCrypto()
  alice = makeMember({ memberId: 'alice', role: 'member' })
  mallory = makeMember({ memberId: 'mallory', role: 'member' })
})

const authorKeys = (id: string) => (id === 'alice' ? alice.identity.signing.publicKey : id === 'mallory' ? mallory.identity.signing.publicKey : undefined)

function openVerified({ envelope, situationKey, expected = context }: { envelope: Uint8Array; situationKey: ReturnType<typeof createSituationKey>; expected?: typeof context }): OpenedNote {
  return openAndVerifyNote({ envelope, expected, situationKeys: [situationKey], authorSignPublicKey: authorKeys })
}

/** Rebuilds an envelope with a rewritten header, keeping ciphertext (and optionally re-signing). */
function forge({ envelope, change, resignWith }: { envelope: Uint8Array; change: Partial<NoteHeader>; resignWith?: Uint8Array }): Uint8Array {
  const parsed = noteEnvelopeSchema.parse(envelope)
  const header = { ...parsed.header, ...change }
  const signedBytes = new ByteWriter()
    .bytes(encodeNoteHeader(header))
    .bytes(parsed.wrappedNoteKeyBytes)
    .bytes(parsed.bodyNonce)
    .longBytes(parsed.ciphertext)
    .finish()
  const signature = resignWith
    ? sign({ message: signatureDigest({ domain: 'cellule/note-signature/v1', signedBytes }), secretKey: resignWith })
    : parsed.signature
  return new ByteWriter().bytes(signedBytes).bytes(signature).finish()
}

describe('notes', () => {
  it('round-trips any body and context, pending until verified (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.constantFrom('pseudonymised' as const, 'nominative' as const),
        fc.stringMatching(/^[a-z0-9-]{1,20}$/),
        fc.nat({ max: 1000 }),
        (body, layer, noteId, revision) => {
          const situationKey = createSituationKey({ keyEpoch: 2 })
          const noteContext = { ...context, noteId, revision }
          const envelope = sealNote({ context: noteContext, layer, author: author(alice), situationKey, body })
          const opened = openNote({ envelope, expected: { ...noteContext, layer }, situationKeys: [situationKey] })
          expect(opened.verification).toBe('pending')
          expect(opened.body).toEqual(body)
          expect(opened.header.layer).toBe(layer)
          expect(verifyNote({ note: opened, authorSignPublicKey: alice.identity.signing.publicKey }).verification).toBe('verified')
        },
      ),
      { numRuns: 60 },
    )
  })

  it('pads ciphertext to size buckets', () => {
    for (const size of [0, 1, 200, 255, 256, 1000, 2048, 70_000]) {
      const situationKey = createSituationKey({ keyEpoch: 0 })
      const envelope = sealNote({ context, layer: 'pseudonymised', author: author(alice), situationKey, body: new Uint8Array(size) })
      const { ciphertext } = noteEnvelopeSchema.parse(envelope)
      expect(isBucketLength(ciphertext.length - 16), `size ${size}`).toBe(true)
    }
  })

  it('rejects 100% of single-byte mutations anywhere in the envelope (ciphertext, AD fields, key ids, author, layer, signature)', () => {
    const situationKey = createSituationKey({ keyEpoch: 1 })
    const body = new TextEncoder().encode('Mme X. signale des retraits inhabituels sur le compte de sa mère.')
    const envelope = sealNote({ context, layer: 'nominative', author: author(alice), situationKey, body })
    expect(openVerified({ envelope, situationKey }).verification).toBe('verified')
    let rejected = 0
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), (mask) => {
        for (let index = 0; index < envelope.length; index++) {
          const mutated = flipByte({ bytes: envelope, index, mask })
          expect(() => openVerified({ envelope: mutated, situationKey }), `byte ${index}`).toThrow(CryptoError)
          rejected++
        }
      }),
      { numRuns: 8 },
    )
    expect(rejected).toBe(envelope.length * 8)
  })

  it('rejects every rewritten header field even when the forger re-signs with a member key', () => {
    const situationKey = createSituationKey({ keyEpoch: 1 })
    const other = createSituationKey({ keyEpoch: 1 })
    const envelope = sealNote({ context, layer: 'pseudonymised', author: author(alice), situationKey, body: new Uint8Array([1, 2, 3]) })
    const changes: Partial<NoteHeader>[] = [
      { cellId: 'cell-2' },
      { situationId: 'sit-2' },
      { noteId: 'note-2' },
      { revision: 4 },
      { layer: 'nominative' },
      { authorId: 'mallory' },
      { keyEpoch: 2 },
      { situationKeyId: other.keyId },
      { noteKeyId: new Uint8Array(16).fill(7) },
    ]
    for (const change of changes) {
      const forged = forge({ envelope, change, resignWith: mallory.identity.signing.secretKey })
      const parsedHeader = noteEnvelopeSchema.parse(forged).header
      const expected = { cellId: parsedHeader.cellId, situationId: parsedHeader.situationId, noteId: parsedHeader.noteId, revision: parsedHeader.revision }
      // The app asks for the forged place: AEAD or key binding must still fail.
      expect(() => openVerified({ envelope: forged, situationKey, expected }), JSON.stringify(Object.keys(change))).toThrow(CryptoError)
    }
  })

  it('refuses a note moved to another situation or revision (property)', () => {
    const situationKey = createSituationKey({ keyEpoch: 0 })
    const envelope = sealNote({ context, layer: 'pseudonymised', author: author(alice), situationKey, body: new Uint8Array(10) })
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,12}$/), fc.nat({ max: 100 }), (situationId, revision) => {
        fc.pre(situationId !== context.situationId || revision !== context.revision)
        expectCryptoError(() => openVerified({ envelope, situationKey, expected: { ...context, situationId, revision } }), 'context_mismatch')
      }),
      { numRuns: 100 },
    )
  })

  it('marks a note signed by someone else than its author as rejected, never verified', () => {
    const situationKey = createSituationKey({ keyEpoch: 0 })
    const envelope = sealNote({ context, layer: 'pseudonymised', author: { memberId: 'alice', signSecretKey: mallory.identity.signing.secretKey }, situationKey, body: new Uint8Array(4) })
    const opened = openNote({ envelope, expected: context, situationKeys: [situationKey] })
    expect(opened.verification).toBe('pending')
    expect(verifyNote({ note: opened, authorSignPublicKey: alice.identity.signing.publicKey }).verification).toBe('rejected')
    expect(verifyNote({ note: opened, authorSignPublicKey: undefined }).verification).toBe('rejected')
    expectCryptoError(() => openVerified({ envelope, situationKey }), 'bad_signature')
  })

  it('fails closed with a typed error on the wrong situation key', () => {
    const situationKey = createSituationKey({ keyEpoch: 0 })
    const envelope = sealNote({ context, layer: 'pseudonymised', author: author(alice), situationKey, body: new Uint8Array(4) })
    expectCryptoError(() => openNote({ envelope, expected: context, situationKeys: [createSituationKey({ keyEpoch: 0 })] }), 'decryption_failed')
  })

  it('verifies a timeline in the background, in batches, with progress', async () => {
    const situationKey = createSituationKey({ keyEpoch: 0 })
    const opened = Array.from({ length: 120 }, (_, index) => {
      const noteContext = { ...context, noteId: `n-${index}` }
      const signer = index % 40 === 7 ? mallory : alice
      const envelope = sealNote({ context: noteContext, layer: 'pseudonymised', author: { memberId: 'alice', signSecretKey: signer.identity.signing.secretKey }, situationKey, body: new Uint8Array(2048) })
      return openNote({ envelope, expected: noteContext, situationKeys: [situationKey] })
    })
    expect(opened.every((note) => note.verification === 'pending')).toBe(true)
    const progress: number[] = []
    const results = await verifyNotesInBackground({
      notes: opened,
      authorSignPublicKey: authorKeys,
      batchSize: 25,
      onProgress: ({ verified, rejected, total }) => {
        expect(total).toBe(120)
        progress.push(verified + rejected)
      },
    })
    expect(progress).toEqual([25, 50, 75, 100, 120])
    // Other work (rendering, input) gets the event loop between batches.
    let seenByOtherTask = -1
    let lastProgress = 0
    setTimeout(() => {
      seenByOtherTask = lastProgress
    }, 0)
    await verifyNotesInBackground({ notes: opened, authorSignPublicKey: authorKeys, batchSize: 10, onProgress: ({ verified, rejected }) => (lastProgress = verified + rejected) })
    expect(seenByOtherTask).toBeGreaterThan(0)
    expect(seenByOtherTask).toBeLessThan(120)
    // Leaving the page stops the work.
    const controller = new AbortController()
    const partial = await verifyNotesInBackground({ notes: opened, authorSignPublicKey: authorKeys, batchSize: 30, signal: controller.signal, onProgress: () => controller.abort() })
    expect(partial).toHaveLength(30)
    expect(results.filter((note) => note.verification === 'rejected')).toHaveLength(3)
    expect(results.filter((note) => note.verification === 'verified')).toHaveLength(117)
  })

  it('never throws anything but a CryptoError on arbitrary bytes (property)', () => {
    const situationKey = createSituationKey({ keyEpoch: 0 })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expectCryptoError(() => openNote({ envelope: bytes, expected: context, situationKeys: [situationKey] }))
      }),
      { numRuns: 300 },
    )
    expectCryptoError(() => openNote({ envelope: 'not base64!', expected: context, situationKeys: [situationKey] }), 'bad_base64')
    const envelope = sealNote({ context, layer: 'pseudonymised', author: author(alice), situationKey, body: new Uint8Array(4) })
    expectCryptoError(() => openNote({ envelope: Uint8Array.from([2, ...envelope.subarray(1)]), expected: context, situationKeys: [situationKey] }), 'unknown_version')
    expectCryptoError(() => openNote({ envelope: envelope.subarray(0, envelope.length - 1), expected: context, situationKeys: [situationKey] }), 'bad_length')
  })
})

import {
  assertWrittenUnderKnownHead,
  createSituationKey,
  encodeNoteHeader,
  initCrypto,
  noteEnvelopeSchema,
  noteRevisionHash,
  openAndVerifyNote,
  openNote,
  sealNote,
  situationKeyFrom,
  verifyNote,
  verifyNotesInBackground,
  type AuthorKeyResolver,
  type Layer,
  type NoteHeader,
  type NoteProvenance,
  type SituationKey,
  type VerifiedNote,
} from '#crypto/index.ts'
import { ByteWriter } from '#crypto/encoding.ts'
import { CryptoError } from '#crypto/errors.ts'
import { wrapKey } from '#crypto/key-wrap.ts'
import { padToBucket, isBucketLength } from '#crypto/padding.ts'
import { aeadEncrypt, keyId, randomKey, randomNonce, sign, signatureDigest } from '#crypto/primitives.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { author, expectCryptoError, flipByte, makeMember, type TestMember } from './helpers.ts'

let alice: TestMember
let mallory: TestMember
const context = { cellId: 'cell-1', situationId: 'sit-1', noteId: 'note-1', revision: 3 }
const SIGNATURE_DOMAIN = 'cellule/note-signature/v2'

function provenance(change: Partial<NoteProvenance> = {}): NoteProvenance {
  return {
    rosterSeq: 5,
    rosterHeadHash: new Uint8Array(32).fill(0xab),
    cellEpoch: 1,
    situationLogSeq: 12,
    prevRevisionHash: new Uint8Array(32).fill(0x11),
    createdAtMs: 1_767_225_600_000,
    ...change,
  }
}

beforeAll(async () => {
  await initCrypto()
  alice = makeMember({ memberId: 'alice', role: 'member' })
  mallory = makeMember({ memberId: 'mallory', role: 'member' })
})

/** Both active at every seq: the tests below that need history build their own resolver. */
const everyoneActive: AuthorKeyResolver = (id) =>
  id === 'alice' ? alice.identity.signing.publicKey : id === 'mallory' ? mallory.identity.signing.publicKey : undefined

function seal({ layer = 'pseudonymised', situationKey, body = new Uint8Array(4), noteContext = context, written = provenance(), signer }: {
  layer?: Layer
  situationKey: SituationKey
  body?: Uint8Array
  noteContext?: typeof context
  written?: NoteProvenance
  signer?: TestMember
}): Uint8Array {
  const by = signer ? { memberId: 'alice', signSecretKey: signer.identity.signing.secretKey } : author(alice)
  return sealNote({ context: noteContext, provenance: written, layer, author: by, situationKey, body })
}

function openVerified({ envelope, situationKey, expected = { ...context, layer: 'pseudonymised' as Layer } }: {
  envelope: Uint8Array
  situationKey: SituationKey
  expected?: typeof context & { layer: Layer }
}): VerifiedNote {
  return openAndVerifyNote({ envelope, expected, situationKeys: [situationKey], authorKeyAt: everyoneActive })
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
  const signature = resignWith ? sign({ message: signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes }), secretKey: resignWith }) : parsed.signature
  return new ByteWriter().bytes(signedBytes).bytes(signature).finish()
}

describe('notes v2', () => {
  it('round-trips any body, layer and place; a pending note carries no body until verified (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.constantFrom<Layer>('pseudonymised', 'nominative', 'medical'),
        fc.stringMatching(/^[a-z0-9-]{1,20}$/),
        fc.integer({ min: 2, max: 1000 }),
        (body, layer, noteId, revision) => {
          const situationKey = createSituationKey({ layer, keyEpoch: 2 })
          const noteContext = { ...context, noteId, revision }
          const envelope = seal({ layer, situationKey, body, noteContext })
          const opened = openNote({ envelope, expected: { ...noteContext, layer }, situationKeys: [situationKey] })
          expect(opened.verification).toBe('pending')
          expect('body' in opened).toBe(false)
          expect('noteKey' in opened).toBe(false)
          const checked = verifyNote({ note: opened, authorKeyAt: everyoneActive })
          if (checked.verification !== 'verified') throw new Error('expected verified')
          expect(checked.body).toEqual(body)
          expect(checked.header.layer).toBe(layer)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('exposes the roster seq, head and cell epoch a note was written under, all signed', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const written = provenance({ rosterSeq: 9, cellEpoch: 2, situationLogSeq: 40, createdAtMs: 1_800_000_000_000 })
    const opened = openVerified({ envelope: seal({ situationKey, written }), situationKey })
    expect(opened.header.rosterSeq).toBe(9)
    expect(opened.header.rosterHeadHash).toEqual(written.rosterHeadHash)
    expect(opened.header.cellEpoch).toBe(2)
    expect(opened.header.situationLogSeq).toBe(40)
    expect(opened.header.createdAtMs).toBe(1_800_000_000_000)
    expect(opened.header.prevRevisionHash).toEqual(written.prevRevisionHash)
  })

  it('chains revisions: revision 1 names no predecessor, revision 2 names the hash of revision 1', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const zeros = new Uint8Array(32)
    const first = seal({ situationKey, noteContext: { ...context, revision: 1 }, written: provenance({ prevRevisionHash: zeros }) })
    const firstOpened = openVerified({ envelope: first, situationKey, expected: { ...context, revision: 1, layer: 'pseudonymised' } })
    expect(firstOpened.revisionHash).toEqual(noteRevisionHash(first))
    const second = seal({ situationKey, noteContext: { ...context, revision: 2 }, written: provenance({ prevRevisionHash: firstOpened.revisionHash }) })
    const secondOpened = openVerified({ envelope: second, situationKey, expected: { ...context, revision: 2, layer: 'pseudonymised' } })
    expect(secondOpened.header.prevRevisionHash).toEqual(noteRevisionHash(first))
    // Inconsistent chains are refused at sealing, and at parsing when forged.
    expectCryptoError(() => seal({ situationKey, noteContext: { ...context, revision: 2 }, written: provenance({ prevRevisionHash: zeros }) }), 'invalid_input')
    expectCryptoError(() => seal({ situationKey, noteContext: { ...context, revision: 1 }, written: provenance() }), 'invalid_input')
    expectCryptoError(() => seal({ situationKey, noteContext: { ...context, revision: 0 }, written: provenance({ prevRevisionHash: zeros }) }), 'malformed')
    const forged = forge({ envelope: second, change: { prevRevisionHash: zeros }, resignWith: alice.identity.signing.secretKey })
    expectCryptoError(() => openNote({ envelope: forged, expected: { ...context, revision: 2, layer: 'pseudonymised' }, situationKeys: [situationKey] }), 'malformed')
  })

  it('refuses out-of-range provenance fields with a typed error', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    for (const change of [{ rosterSeq: 2 ** 32 }, { cellEpoch: -1 }, { situationLogSeq: 1.5 }, { createdAtMs: Number.MAX_SAFE_INTEGER + 2 }, { rosterHeadHash: new Uint8Array(31) }]) {
      expectCryptoError(() => seal({ situationKey, written: provenance(change) }))
    }
  })

  it('pads ciphertext to size buckets', () => {
    for (const size of [0, 1, 200, 255, 256, 1000, 2048, 70_000]) {
      const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
      const { ciphertext } = noteEnvelopeSchema.parse(seal({ situationKey, body: new Uint8Array(size) }))
      expect(isBucketLength(ciphertext.length - 16), `size ${size}`).toBe(true)
    }
  })

  it('rejects 100% of single-byte mutations anywhere in the envelope (header, provenance, key ids, signature)', () => {
    const situationKey = createSituationKey({ layer: 'nominative', keyEpoch: 1 })
    const body = new TextEncoder().encode('Mme X. signale des retraits inhabituels sur le compte de sa mère.')
    const envelope = seal({ layer: 'nominative', situationKey, body })
    const expected = { ...context, layer: 'nominative' as const }
    expect(openVerified({ envelope, situationKey, expected }).verification).toBe('verified')
    let rejected = 0
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), (mask) => {
        for (let index = 0; index < envelope.length; index++) {
          const mutated = flipByte({ bytes: envelope, index, mask })
          expect(() => openVerified({ envelope: mutated, situationKey, expected }), `byte ${index}`).toThrow(CryptoError)
          rejected++
        }
      }),
      { numRuns: 8 },
    )
    expect(rejected).toBe(envelope.length * 8)
  })

  it('rejects every rewritten header field even when the forger re-signs with a member key', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 1 })
    const other = createSituationKey({ layer: 'pseudonymised', keyEpoch: 1 })
    const envelope = seal({ situationKey, body: new Uint8Array([1, 2, 3]) })
    const changes: Partial<NoteHeader>[] = [
      { cellId: 'cell-2' },
      { situationId: 'sit-2' },
      { noteId: 'note-2' },
      { revision: 4 },
      { layer: 'nominative' },
      { authorId: 'mallory' },
      { keyEpoch: 2 },
      { rosterSeq: 6 },
      { rosterHeadHash: new Uint8Array(32).fill(1) },
      { cellEpoch: 0 },
      { situationLogSeq: 11 },
      { prevRevisionHash: new Uint8Array(32).fill(2) },
      { createdAtMs: 1_767_225_600_001 },
      { situationKeyId: other.keyId },
      { noteKeyId: new Uint8Array(16).fill(7) },
    ]
    for (const change of changes) {
      const forged = forge({ envelope, change, resignWith: mallory.identity.signing.secretKey })
      const parsedHeader = noteEnvelopeSchema.parse(forged).header
      const expected = { cellId: parsedHeader.cellId, situationId: parsedHeader.situationId, noteId: parsedHeader.noteId, revision: parsedHeader.revision, layer: parsedHeader.layer }
      // The app asks for the forged place: AEAD or key binding must still fail.
      expect(() => openVerified({ envelope: forged, situationKey, expected }), JSON.stringify(Object.keys(change))).toThrow(CryptoError)
    }
  })

  it('refuses a note moved to another situation or revision (property)', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const envelope = seal({ situationKey, body: new Uint8Array(10) })
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,12}$/), fc.integer({ min: 1, max: 100 }), (situationId, revision) => {
        fc.pre(situationId !== context.situationId || revision !== context.revision)
        expectCryptoError(() => openVerified({ envelope, situationKey, expected: { ...context, situationId, revision, layer: 'pseudonymised' } }), 'context_mismatch')
      }),
      { numRuns: 100 },
    )
  })

  it('PoC 3a: a nominative note under the pseudonymised key is refused at sealing and at opening', () => {
    const pseudonymisedKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const nominativeKey = createSituationKey({ layer: 'nominative', keyEpoch: 0 })
    expectCryptoError(() => seal({ layer: 'nominative', situationKey: pseudonymisedKey }), 'invalid_input')
    expectCryptoError(() => seal({ layer: 'medical', situationKey: nominativeKey }), 'invalid_input')
    // A forger holding SK builds the envelope by hand: header labelled nominative, body under SK.
    const header: NoteHeader = {
      ...context,
      ...provenance(),
      layer: 'nominative',
      keyEpoch: 0,
      authorId: 'alice',
      situationKeyId: pseudonymisedKey.keyId,
      noteKeyId: new Uint8Array(16),
    }
    const noteKey = randomKey()
    header.noteKeyId = keyId(noteKey)
    const headerBytes = encodeNoteHeader(header)
    const wrapped = wrapKey({ key: noteKey, wrappingKey: pseudonymisedKey.key, purpose: 'note_key', context: [headerBytes] })
    const bodyNonce = randomNonce()
    const ciphertext = aeadEncrypt({ plaintext: padToBucket(new TextEncoder().encode('Mme Hélène D., 12 rue …')), associatedData: headerBytes, nonce: bodyNonce, key: noteKey })
    const signedBytes = new ByteWriter().bytes(headerBytes).bytes(wrapped).bytes(bodyNonce).longBytes(ciphertext).finish()
    const signature = sign({ message: signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes }), secretKey: alice.identity.signing.secretKey })
    const forged = new ByteWriter().bytes(signedBytes).bytes(signature).finish()
    const keys = [pseudonymisedKey, nominativeKey]
    expectCryptoError(() => openNote({ envelope: forged, expected: { ...context, layer: 'nominative' }, situationKeys: keys }), 'context_mismatch')
    expectCryptoError(() => openNote({ envelope: forged, expected: { ...context, layer: 'pseudonymised' }, situationKeys: keys }), 'context_mismatch')
    // expected.layer is mandatory: leaving it out (through an untyped caller) opens nothing.
    const genuine = seal({ situationKey: pseudonymisedKey })
    expectCryptoError(() => openNote({ envelope: genuine, expected: context as never, situationKeys: keys }), 'context_mismatch')
  })

  it('domain-separates key ids per layer: the same bytes name different keys in different layers', () => {
    const bytes = randomKey()
    const ids = (['pseudonymised', 'nominative', 'medical'] as const).map((layer) => situationKeyFrom({ layer, key: bytes, keyEpoch: 0 }).keyId)
    expect(new Set(ids.map((id) => id.join(','))).size).toBe(3)
    expect(ids[0]).not.toEqual(keyId(bytes))
  })

  it('PoC 4a: a note by an author who was not active at its roster seq is refused', () => {
    // Hand-made resolver with the meaning of roster.signingKeyAt: mallory active at seqs 1–4 (removed at 5);
    // alice active from seq 1, key changed at seq 6 (old key valid up to seq 5).
    const aliceOld = alice.identity.signing.publicKey
    const aliceNew = makeMember({ memberId: 'alice', role: 'member' })
    const authorKeyAt: AuthorKeyResolver = (authorId, rosterSeq) => {
      if (authorId === 'mallory') return rosterSeq >= 1 && rosterSeq <= 4 ? mallory.identity.signing.publicKey : undefined
      if (authorId === 'alice') return rosterSeq >= 6 ? aliceNew.identity.signing.publicKey : rosterSeq >= 1 ? aliceOld : undefined
      return undefined
    }
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const expected = { ...context, layer: 'pseudonymised' as const }
    const byMallory = (rosterSeq: number) =>
      sealNote({ context, provenance: provenance({ rosterSeq }), layer: 'pseudonymised', author: author(mallory), situationKey, body: new Uint8Array(3) })
    // Written while mallory was a member: verified.
    expect(openAndVerifyNote({ envelope: byMallory(3), expected, situationKeys: [situationKey], authorKeyAt }).header.authorId).toBe('mallory')
    // Written after her removal with the old SK she kept, backdating nothing but the roster seq she claims: refused.
    const injected = openNote({ envelope: byMallory(7), expected, situationKeys: [situationKey] })
    const checked = verifyNote({ note: injected, authorKeyAt })
    expect(checked.verification).toBe('rejected')
    expect(checked.verification === 'rejected' && checked.reason).toBe('author_not_active')
    expectCryptoError(() => openAndVerifyNote({ envelope: byMallory(7), expected, situationKeys: [situationKey], authorKeyAt }), 'unknown_signer')
    // alice's old key no longer signs notes written after her key change.
    const oldKeyLate = seal({ situationKey, written: provenance({ rosterSeq: 7 }) })
    expectCryptoError(() => openAndVerifyNote({ envelope: oldKeyLate, expected, situationKeys: [situationKey], authorKeyAt }), 'bad_signature')
    const oldKeyEarly = seal({ situationKey, written: provenance({ rosterSeq: 5 }) })
    expect(openAndVerifyNote({ envelope: oldKeyEarly, expected, situationKeys: [situationKey], authorKeyAt }).verification).toBe('verified')
  })

  it('checks the roster head a note names against the reader’s own chain', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const linkHashes = Array.from({ length: 6 }, (_, seq) => new Uint8Array(32).fill(seq + 1))
    const note = openVerified({ envelope: seal({ situationKey, written: provenance({ rosterSeq: 4, rosterHeadHash: new Uint8Array(32).fill(5) }) }), situationKey })
    expect(() => assertWrittenUnderKnownHead({ note, linkHashes })).not.toThrow()
    const forked = openVerified({ envelope: seal({ situationKey, written: provenance({ rosterSeq: 4, rosterHeadHash: new Uint8Array(32).fill(9) }) }), situationKey })
    expectCryptoError(() => assertWrittenUnderKnownHead({ note: forked, linkHashes }), 'roster_fork')
    const ahead = openVerified({ envelope: seal({ situationKey, written: provenance({ rosterSeq: 6 }) }), situationKey })
    expectCryptoError(() => assertWrittenUnderKnownHead({ note: ahead, linkHashes }), 'context_mismatch')
  })

  it('marks a note signed by someone else than its author as rejected, never verified', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const envelope = seal({ situationKey, signer: mallory })
    const opened = openNote({ envelope, expected: { ...context, layer: 'pseudonymised' }, situationKeys: [situationKey] })
    expect(opened.verification).toBe('pending')
    const checked = verifyNote({ note: opened, authorKeyAt: everyoneActive })
    expect(checked).toMatchObject({ verification: 'rejected', reason: 'bad_signature' })
    expect('body' in checked).toBe(false)
    expect(verifyNote({ note: opened, authorKeyAt: () => undefined })).toMatchObject({ verification: 'rejected', reason: 'author_not_active' })
    expectCryptoError(() => openVerified({ envelope, situationKey }), 'bad_signature')
    // A copy of a pending note is not a note openNote produced: nothing to reveal.
    expectCryptoError(() => verifyNote({ note: { ...opened }, authorKeyAt: everyoneActive }), 'invalid_input')
  })

  it('fails closed with a typed error on the wrong situation key', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const envelope = seal({ situationKey })
    expectCryptoError(
      () => openNote({ envelope, expected: { ...context, layer: 'pseudonymised' }, situationKeys: [createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })] }),
      'decryption_failed',
    )
  })

  it('verifies a timeline in the background, in batches, with progress; only verified items have a body', async () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const opened = Array.from({ length: 120 }, (_, index) => {
      const noteContext = { ...context, noteId: `n-${index}` }
      const envelope = seal({ situationKey, noteContext, body: new Uint8Array(2048), signer: index % 40 === 7 ? mallory : alice })
      return openNote({ envelope, expected: { ...noteContext, layer: 'pseudonymised' }, situationKeys: [situationKey] })
    })
    expect(opened.every((note) => note.verification === 'pending')).toBe(true)
    const progress: number[] = []
    const results = await verifyNotesInBackground({
      notes: opened,
      authorKeyAt: everyoneActive,
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
    await verifyNotesInBackground({ notes: opened, authorKeyAt: everyoneActive, batchSize: 10, onProgress: ({ verified, rejected }) => (lastProgress = verified + rejected) })
    expect(seenByOtherTask).toBeGreaterThan(0)
    expect(seenByOtherTask).toBeLessThan(120)
    // Leaving the page stops the work.
    const controller = new AbortController()
    const partial = await verifyNotesInBackground({ notes: opened, authorKeyAt: everyoneActive, batchSize: 30, signal: controller.signal, onProgress: () => controller.abort() })
    expect(partial).toHaveLength(30)
    expect(results.filter((note) => note.verification === 'rejected')).toHaveLength(3)
    expect(results.filter((note) => note.verification === 'rejected' && 'body' in note)).toHaveLength(0)
    expect(results.filter((note) => note.verification === 'verified' && note.body.length === 2048)).toHaveLength(117)
  })

  it('never throws anything but a CryptoError on arbitrary bytes (property)', () => {
    const situationKey = createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
    const expected = { ...context, layer: 'pseudonymised' as const }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expectCryptoError(() => openNote({ envelope: bytes, expected, situationKeys: [situationKey] }))
      }),
      { numRuns: 300 },
    )
    expectCryptoError(() => openNote({ envelope: 'not base64!', expected, situationKeys: [situationKey] }), 'bad_base64')
    const envelope = seal({ situationKey })
    expect(envelope[0]).toBe(2)
    expectCryptoError(() => openNote({ envelope: Uint8Array.from([1, ...envelope.subarray(1)]), expected, situationKeys: [situationKey] }), 'unknown_version')
    expectCryptoError(() => openNote({ envelope: envelope.subarray(0, envelope.length - 1), expected, situationKeys: [situationKey] }), 'bad_length')
  })
})

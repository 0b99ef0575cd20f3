/**
 * Benchmark workloads shared by Node and Chromium (bundled with esbuild): no Node APIs.
 */
import * as lib from '../crypto/index.ts'
import { noteEnvelopeSchema } from '../crypto/notes.ts'
import { unwrapKey } from '../crypto/key-wrap.ts'
import { signatureDigest } from '../crypto/primitives.ts'
import { sodium } from '../crypto/sodium.ts'

export type OpenVerifyFigures = { ms: number; rawMs: number; openOnlyMs: number; ratioToRawPrimitives: number; rounds: number }

function now(): number {
  return globalThis.performance.now()
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

export function prepareNotes({ count, bodyBytes }: { count: number; bodyBytes: number }) {
  const author = lib.generateIdentityKeys()
  const situationKey = lib.createSituationKey({ layer: 'pseudonymised', keyEpoch: 0 })
  const notes = Array.from({ length: count }, (_, index) => {
    const context = { cellId: 'cell-bench', situationId: 'situation-bench', noteId: `note-${index}`, revision: 1, layer: 'pseudonymised' as const }
    const body = sodium.randombytes_buf(bodyBytes)
    const provenance = { rosterSeq: 3, rosterHeadHash: new Uint8Array(32).fill(7), cellEpoch: 0, situationLogSeq: index, prevRevisionHash: new Uint8Array(32), createdAtMs: 1_767_225_600_000 }
    const envelope = lib.sealNote({ context, provenance, layer: 'pseudonymised', author: { memberId: 'author', signSecretKey: author.signing.secretKey }, situationKey, body })
    // The raw baseline gets the already-extracted inputs of the two primitive calls.
    const parsed = noteEnvelopeSchema.parse(envelope)
    const noteKey = unwrapKey({ wrapped: parsed.wrappedNoteKey, wrappingKey: situationKey.key, purpose: 'note_key', context: [parsed.headerBytes] })
    const raw = {
      ciphertext: parsed.ciphertext,
      associatedData: parsed.headerBytes,
      nonce: parsed.bodyNonce,
      noteKey,
      signedDigest: signatureDigest({ domain: 'cellule/note-signature/v2', signedBytes: parsed.signedBytes }),
      signature: parsed.signature,
    }
    return { context, envelope, raw }
  })
  return { notes, situationKey, authorPublicKey: author.signing.publicKey }
}

type Prepared = ReturnType<typeof prepareNotes>

function runLibrary(prepared: Prepared): number {
  const start = now()
  let verified = 0
  for (const note of prepared.notes) {
    const opened = lib.openNote({ envelope: note.envelope, expected: note.context, situationKeys: [prepared.situationKey] })
    if (lib.verifyNote({ note: opened, authorKeyAt: () => prepared.authorPublicKey }).verification === 'verified') verified++
  }
  const elapsed = now() - start
  if (verified !== prepared.notes.length) throw new Error('library verification failed')
  return elapsed
}

function runOpenOnly(prepared: Prepared): number {
  const start = now()
  for (const note of prepared.notes) lib.openNote({ envelope: note.envelope, expected: note.context, situationKeys: [prepared.situationKey] })
  return now() - start
}

function runRaw(prepared: Prepared): number {
  const start = now()
  let verified = 0
  for (const { raw } of prepared.notes) {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, raw.ciphertext, raw.associatedData, raw.nonce, raw.noteKey)
    if (sodium.crypto_sign_verify_detached(raw.signature, raw.signedDigest, prepared.authorPublicKey)) verified++
  }
  const elapsed = now() - start
  if (verified !== prepared.notes.length) throw new Error('raw verification failed')
  return elapsed
}

/**
 * Library open+verify vs the bare primitive loop over the same bytes. Rounds alternate
 * which runs first, and the ratio is the median of per-round ratios, so load from other
 * processes on the machine hits both sides of each pair alike.
 */
export async function measureOpenVerify({ count = 500, bodyBytes = 2048, rounds = 15 } = {}): Promise<OpenVerifyFigures> {
  await lib.initCrypto()
  const prepared = prepareNotes({ count, bodyBytes })
  runLibrary(prepared)
  runRaw(prepared)
  const library: number[] = []
  const raw: number[] = []
  const ratios: number[] = []
  const openOnly: number[] = []
  for (let round = 0; round < rounds; round++) {
    let libraryMs: number
    let rawMs: number
    if (round % 2 === 0) {
      libraryMs = runLibrary(prepared)
      rawMs = runRaw(prepared)
    } else {
      rawMs = runRaw(prepared)
      libraryMs = runLibrary(prepared)
    }
    library.push(libraryMs)
    raw.push(rawMs)
    ratios.push(rawMs / libraryMs)
    openOnly.push(runOpenOnly(prepared))
  }
  return { ms: median(library), rawMs: median(raw), openOnlyMs: median(openOnly), ratioToRawPrimitives: median(ratios), rounds }
}

export async function measureArgon2id({ runs = 3 } = {}): Promise<{ ms: number; firstMs: number; opsLimit: number; memLimitBytes: number; runs: number }> {
  await lib.initCrypto()
  const kdfParams = { algorithm: 'argon2id13', ...lib.KDF_FLOOR, saltSeed: lib.toBase64Url(sodium.randombytes_buf(32)) }
  const times: number[] = []
  for (let run = 0; run < runs; run++) {
    const start = now()
    lib.deriveAccountSecrets({ password: 'mot de passe de test', email: 'bench@example.fr', kdfParams })
    times.push(now() - start)
  }
  // The first derivation also grows the WebAssembly memory to 64 MiB: what a login in a fresh tab pays.
  return { ms: median(times), firstMs: times[0] ?? Number.NaN, opsLimit: lib.KDF_FLOOR.opsLimit, memLimitBytes: lib.KDF_FLOOR.memLimitBytes, runs }
}

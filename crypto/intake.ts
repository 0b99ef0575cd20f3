import { z } from 'zod'
import { ByteReader, ByteWriter, bytesEqual, toBase64Url } from './encoding.ts'
import { CryptoPolicyError, CryptoVerificationError } from './errors.ts'
import { BOX_PUBLIC_KEY_BYTES, SIGNATURE_BYTES, SIGN_PUBLIC_KEY_BYTES, bytesSchema, fixedBytes, parseFormat } from './formats.ts'
import {
  boxKeyPairFromSeed,
  domainHash,
  keyCommitment,
  randomKey,
  sign,
  signatureDigest,
  signingKeyPairFromSeed,
  verifySignature,
  wipe,
  type BoxKeyPair,
  type SigningKeyPair,
} from './primitives.ts'

/**
 * INTAKE[cell, j]: the key pair doctors seal referrals to. Both halves derive from one random 32-byte
 * seed, sealed to the triage set only (never under the cell key: associates hold that). Bundle j+1 is
 * signed by INTAKE[j], so a page opened from an old flyer follows the chain to the current key
 * without trusting the server; each bundle expires at `notAfterMs`.
 */
export type IntakePublic = { cellId: string; index: number; boxPublicKey: Uint8Array; signPublicKey: Uint8Array; notAfterMs: number }
export type IntakeKeys = { cellId: string; index: number; notAfterMs: number; box: BoxKeyPair; signing: SigningKeyPair }
/** One step of the chain as the server serves it: the bundle and INTAKE[index-1]'s signature of it. */
export type IntakeChainLink = { bundle: Uint8Array | string; predecessorSignature: Uint8Array | string | undefined }

export const INTAKE_PUBLIC_VERSION = 2
/** How long a published intake key (and its flyer) stays valid by default. */
export const INTAKE_VALIDITY_MS = 365 * 24 * 3_600_000

/** `0x02 | cellId | index u32 | boxPk(32) | signPk(32) | notAfter u64 (ms)`: what the roster and the flyer publish. */
export function encodeIntakePublic({ cellId, index, boxPublicKey, signPublicKey, notAfterMs }: IntakePublic): Uint8Array {
  return new ByteWriter().u8(INTAKE_PUBLIC_VERSION).string(cellId).u32(index).bytes(boxPublicKey).bytes(signPublicKey).u64(notAfterMs).finish()
}

export const intakePublicSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(INTAKE_PUBLIC_VERSION)
    const cellId = reader.string()
    const index = reader.u32()
    const boxPublicKey = reader.bytes(BOX_PUBLIC_KEY_BYTES)
    const signPublicKey = reader.bytes(SIGN_PUBLIC_KEY_BYTES)
    const notAfterMs = reader.u64()
    reader.end()
    return { cellId, index, boxPublicKey, signPublicKey, notAfterMs }
  })
  .pipe(
    z.object({
      cellId: z.string().min(1),
      index: z.number(),
      boxPublicKey: fixedBytes(BOX_PUBLIC_KEY_BYTES),
      signPublicKey: fixedBytes(SIGN_PUBLIC_KEY_BYTES),
      notAfterMs: z.number(),
    }),
  )

export function parseIntakePublic(input: Uint8Array | string): IntakePublic {
  return parseFormat({ schema: intakePublicSchema, input, name: 'Clé de saisine' })
}

/** Printed in the flyer's QR fragment (`#fp=…`): 128 bits, base64url, over the whole bundle (expiry included). */
export function intakeFingerprint(intake: IntakePublic): string {
  return toBase64Url(domainHash({ domain: 'cellule/intake-fingerprint/v2', parts: [encodeIntakePublic(intake)], length: 16 }))
}

function sameText(left: string, right: string): boolean {
  const encoder = new TextEncoder()
  return left.length === right.length && bytesEqual(encoder.encode(left), encoder.encode(right))
}

/** The intake page refuses to submit when the served key is not the printed one. */
export function assertIntakeFingerprint({ intake, fingerprint }: { intake: IntakePublic; fingerprint: string }): void {
  if (!sameText(intakeFingerprint(intake), fingerprint)) {
    throw new CryptoVerificationError({
      code: 'context_mismatch',
      message: 'La clé de la cellule ne correspond pas à celle imprimée : appelez la cellule.',
    })
  }
}

/** A fresh seed; the caller seals it to the triage set and wipes it. */
export function createIntakeSeed(): { seed: Uint8Array; commitment: Uint8Array } {
  const seed = randomKey()
  return { seed, commitment: keyCommitment(seed) }
}

/** Both pairs from the seed, each through its own keyed BLAKE2b subkey (domain-separated). */
export function intakeKeysFromSeed({ cellId, index, notAfterMs, seed }: { cellId: string; index: number; notAfterMs: number; seed: Uint8Array }): IntakeKeys {
  const signSeed = domainHash({ domain: 'cellule/intake-sign-seed/v1', parts: [seed] })
  const boxSeed = domainHash({ domain: 'cellule/intake-box-seed/v1', parts: [seed] })
  const keys = { cellId, index, notAfterMs, signing: signingKeyPairFromSeed(signSeed), box: boxKeyPairFromSeed(boxSeed) }
  wipe(signSeed)
  wipe(boxSeed)
  return keys
}

export function intakePublicOf(keys: IntakeKeys): IntakePublic {
  return { cellId: keys.cellId, index: keys.index, boxPublicKey: keys.box.publicKey, signPublicKey: keys.signing.publicKey, notAfterMs: keys.notAfterMs }
}

export function wipeIntakeKeys(keys: IntakeKeys): void {
  wipe(keys.signing.secretKey)
  wipe(keys.box.secretKey)
}

const CHAIN_DOMAIN = 'cellule/intake-chain/v1'

/** INTAKE[j] vouches for INTAKE[j+1]. */
export function signIntakeSuccessor({ predecessor, successor }: { predecessor: IntakeKeys; successor: IntakePublic }): Uint8Array {
  if (successor.cellId !== predecessor.cellId || successor.index !== predecessor.index + 1) {
    throw new CryptoPolicyError({ code: 'invalid_input', message: 'La clé de saisine suivante doit suivre la précédente dans la même cellule.' })
  }
  return sign({ message: signatureDigest({ domain: CHAIN_DOMAIN, signedBytes: encodeIntakePublic(successor) }), secretKey: predecessor.signing.secretKey })
}

export function verifyIntakeSuccessor({
  predecessor,
  successor,
  signature,
}: {
  predecessor: IntakePublic
  successor: IntakePublic
  signature: Uint8Array
}): boolean {
  return (
    successor.cellId === predecessor.cellId &&
    successor.index === predecessor.index + 1 &&
    signature.length === SIGNATURE_BYTES &&
    verifySignature({ signature, message: signatureDigest({ domain: CHAIN_DOMAIN, signedBytes: encodeIntakePublic(successor) }), publicKey: predecessor.signPublicKey })
  )
}

/**
 * From the fingerprint a doctor holds (flyer or receipt link) to the current intake key, through
 * the chain the server serves: every step must be signed by the key before it, and the last one
 * must not have expired. The server can withhold the newest links (the page then seals to an older,
 * retired key, which the server refuses), but it cannot substitute a key of its own.
 */
export function followIntakeChain({
  fingerprint,
  chain,
  nowMs,
}: {
  fingerprint: string
  chain: readonly IntakeChainLink[]
  nowMs: number
}): IntakePublic {
  const bundles = chain.map((link) => parseIntakePublic(link.bundle))
  const start = bundles.findIndex((bundle) => sameText(intakeFingerprint(bundle), fingerprint))
  if (start < 0) {
    throw new CryptoVerificationError({
      code: 'context_mismatch',
      message: 'Aucune clé servie ne correspond à celle imprimée : appelez la cellule.',
    })
  }
  let current = bundles[start] as IntakePublic
  for (let at = start + 1; at < bundles.length; at++) {
    const next = bundles[at] as IntakePublic
    const raw = chain[at]?.predecessorSignature
    const signature = typeof raw === 'string' ? parseFormat({ schema: fixedBytes(SIGNATURE_BYTES), input: raw, name: 'Signature de chaîne' }) : raw
    if (!signature || !verifyIntakeSuccessor({ predecessor: current, successor: next, signature })) {
      throw new CryptoVerificationError({
        code: 'bad_signature',
        message: `La clé de saisine n° ${next.index} n’est pas signée par la précédente : appelez la cellule.`,
      })
    }
    current = next
  }
  if (current.notAfterMs <= nowMs) {
    throw new CryptoPolicyError({
      code: 'stale_epoch',
      message: 'La clé de saisine de la cellule a expiré : appelez la cellule pour obtenir un dépliant à jour.',
    })
  }
  return current
}

/** A fresh pair with its seed discarded: for a caller that keeps the keys themselves (tests, benches). */
export function createIntakeKeys({ cellId, index, notAfterMs = Date.now() + INTAKE_VALIDITY_MS }: { cellId: string; index: number; notAfterMs?: number }): IntakeKeys {
  const { seed } = createIntakeSeed()
  const keys = intakeKeysFromSeed({ cellId, index, notAfterMs, seed })
  wipe(seed)
  return keys
}

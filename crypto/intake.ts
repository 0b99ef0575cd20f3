import { z } from 'zod'
import { ByteReader, ByteWriter, bytesEqual, concatBytes, toBase64Url } from './encoding.ts'
import { CryptoVerificationError } from './errors.ts'
import { BOX_PUBLIC_KEY_BYTES, FORMAT_VERSION, SIGN_PUBLIC_KEY_BYTES, bytesSchema, fixedBytes, parseFormat } from './formats.ts'
import { unwrapKey, wrapKey } from './key-wrap.ts'
import {
  domainHash,
  generateBoxKeyPair,
  generateSigningKeyPair,
  type BoxKeyPair,
  type SigningKeyPair,
} from './primitives.ts'
import { sodium } from './sodium.ts'

export type IntakePublic = { cellId: string; index: number; boxPublicKey: Uint8Array; signPublicKey: Uint8Array }
export type IntakeKeys = { cellId: string; index: number; box: BoxKeyPair; signing: SigningKeyPair }

/** `0x01 | cellId | index u32 | boxPk(32) | signPk(32)`: what the roster and the flyer publish. */
export function encodeIntakePublic({ cellId, index, boxPublicKey, signPublicKey }: IntakePublic): Uint8Array {
  return new ByteWriter().u8(FORMAT_VERSION).string(cellId).u32(index).bytes(boxPublicKey).bytes(signPublicKey).finish()
}

export const intakePublicSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(FORMAT_VERSION)
    const cellId = reader.string()
    const index = reader.u32()
    const boxPublicKey = reader.bytes(BOX_PUBLIC_KEY_BYTES)
    const signPublicKey = reader.bytes(SIGN_PUBLIC_KEY_BYTES)
    reader.end()
    return { cellId, index, boxPublicKey, signPublicKey }
  })
  .pipe(
    z.object({
      cellId: z.string().min(1),
      index: z.number(),
      boxPublicKey: fixedBytes(BOX_PUBLIC_KEY_BYTES),
      signPublicKey: fixedBytes(SIGN_PUBLIC_KEY_BYTES),
    }),
  )

export function parseIntakePublic(input: Uint8Array | string): IntakePublic {
  return parseFormat({ schema: intakePublicSchema, input, name: 'Clé de saisine' })
}

/** Printed in the flyer's QR fragment (`#fp=…`): 128 bits, base64url. */
export function intakeFingerprint(intake: IntakePublic): string {
  return toBase64Url(domainHash({ domain: 'cellule/intake-fingerprint/v1', parts: [encodeIntakePublic(intake)], length: 16 }))
}

/** The intake page refuses to submit when the served key is not the printed one. */
export function assertIntakeFingerprint({ intake, fingerprint }: { intake: IntakePublic; fingerprint: string }): void {
  const expected = intakeFingerprint(intake)
  if (expected.length !== fingerprint.length || !bytesEqual(new TextEncoder().encode(expected), new TextEncoder().encode(fingerprint))) {
    throw new CryptoVerificationError({
      code: 'context_mismatch',
      message: 'La clé de la cellule ne correspond pas à celle imprimée : appelez la cellule.',
    })
  }
}

export function createIntakeKeys({ cellId, index }: { cellId: string; index: number }): IntakeKeys {
  return { cellId, index, box: generateBoxKeyPair(), signing: generateSigningKeyPair() }
}

export function intakePublicOf(keys: IntakeKeys): IntakePublic {
  return { cellId: keys.cellId, index: keys.index, boxPublicKey: keys.box.publicKey, signPublicKey: keys.signing.publicKey }
}

/** Private halves under CK[epoch]; re-wrapped at each rotation while the pair is in use. */
export function wrapIntakeSecrets({
  keys,
  cellKey,
  cellEpoch,
}: {
  keys: IntakeKeys
  cellKey: Uint8Array
  cellEpoch: number
}): Uint8Array {
  return wrapKey({
    key: concatBytes([keys.signing.secretKey, keys.box.secretKey]),
    wrappingKey: cellKey,
    purpose: 'intake_secrets',
    context: [keys.cellId, keys.index, cellEpoch],
  })
}

export function openIntakeSecrets({
  cellId,
  index,
  cellKey,
  cellEpoch,
  wrapped,
}: {
  cellId: string
  index: number
  cellKey: Uint8Array
  cellEpoch: number
  wrapped: Uint8Array | string
}): IntakeKeys {
  const secrets = unwrapKey({ wrapped, wrappingKey: cellKey, purpose: 'intake_secrets', context: [cellId, index, cellEpoch] })
  const signSecretKey = secrets.slice(0, 64)
  const boxSecretKey = secrets.slice(64, 96)
  return {
    cellId,
    index,
    signing: { secretKey: signSecretKey, publicKey: sodium.crypto_sign_ed25519_sk_to_pk(signSecretKey) },
    box: { secretKey: boxSecretKey, publicKey: sodium.crypto_scalarmult_base(boxSecretKey) },
  }
}

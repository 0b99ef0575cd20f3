import { z } from 'zod'
import { ByteReader, ByteWriter, concatBytes } from './encoding.ts'
import {
  BOX_PUBLIC_KEY_BYTES,
  FORMAT_VERSION,
  SIGNATURE_BYTES,
  SIGN_PUBLIC_KEY_BYTES,
  bytesSchema,
  fixedBytes,
  parseFormat,
} from './formats.ts'
import { unwrapKey, wrapKey } from './key-wrap.ts'
import {
  assertSignature,
  domainHash,
  generateBoxKeyPair,
  generateSigningKeyPair,
  sign,
  wipe,
  type BoxKeyPair,
  type SigningKeyPair,
} from './primitives.ts'
import { sodium } from './sodium.ts'

export type IdentityKeys = { signing: SigningKeyPair; box: BoxKeyPair }
export type IdentityPublic = { userId: string; signPublicKey: Uint8Array; boxPublicKey: Uint8Array }

function selfSignedMessage({ userId, signPublicKey, boxPublicKey }: IdentityPublic): Uint8Array {
  return new ByteWriter()
    .string('cellule/identity-self-signature/v1')
    .string(userId)
    .bytes(signPublicKey)
    .bytes(boxPublicKey)
    .finish()
}

export function generateIdentityKeys(): IdentityKeys {
  return { signing: generateSigningKeyPair(), box: generateBoxKeyPair() }
}

/** `0x01 | userId | signPk(32) | boxPk(32) | selfSignature(64)`. */
export function encodeIdentityPublic({
  userId,
  identity,
  signature,
}: {
  userId: string
  identity: IdentityKeys
  signature?: Uint8Array
}): Uint8Array {
  const publicHalves = { userId, signPublicKey: identity.signing.publicKey, boxPublicKey: identity.box.publicKey }
  const selfSignature = signature ?? sign({ message: selfSignedMessage(publicHalves), secretKey: identity.signing.secretKey })
  return new ByteWriter()
    .u8(FORMAT_VERSION)
    .string(userId)
    .bytes(publicHalves.signPublicKey)
    .bytes(publicHalves.boxPublicKey)
    .bytes(selfSignature)
    .finish()
}

export const identityPublicSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(FORMAT_VERSION)
    const userId = reader.string()
    const signPublicKey = reader.bytes(SIGN_PUBLIC_KEY_BYTES)
    const boxPublicKey = reader.bytes(BOX_PUBLIC_KEY_BYTES)
    const selfSignature = reader.bytes(SIGNATURE_BYTES)
    reader.end()
    return { userId, signPublicKey, boxPublicKey, selfSignature }
  })
  .pipe(
    z.object({
      userId: z.string().min(1),
      signPublicKey: fixedBytes(SIGN_PUBLIC_KEY_BYTES),
      boxPublicKey: fixedBytes(BOX_PUBLIC_KEY_BYTES),
      selfSignature: fixedBytes(SIGNATURE_BYTES),
    }),
  )

/** Parses and checks the self-signature; the result is what a roster may publish. */
export function openIdentityPublic(input: Uint8Array | string): IdentityPublic {
  const parsed = parseFormat({ schema: identityPublicSchema, input, name: 'Identité publique' })
  assertSignature({
    signature: parsed.selfSignature,
    message: selfSignedMessage(parsed),
    publicKey: parsed.signPublicKey,
    what: 'Identité publique',
  })
  return { userId: parsed.userId, signPublicKey: parsed.signPublicKey, boxPublicKey: parsed.boxPublicKey }
}

/** Private halves (sign secret 64 ‖ box secret 32) under the UAK, bound to the user id. */
export function wrapIdentitySecrets({
  userId,
  identity,
  accountKey,
}: {
  userId: string
  identity: IdentityKeys
  accountKey: Uint8Array
}): Uint8Array {
  const secrets = concatBytes([identity.signing.secretKey, identity.box.secretKey])
  try {
    return wrapKey({ key: secrets, wrappingKey: accountKey, purpose: 'identity_secrets', context: [userId] })
  } finally {
    wipe(secrets)
  }
}

export function unwrapIdentitySecrets({
  userId,
  wrapped,
  accountKey,
}: {
  userId: string
  wrapped: Uint8Array | string
  accountKey: Uint8Array
}): IdentityKeys {
  const secrets = unwrapKey({ wrapped, wrappingKey: accountKey, purpose: 'identity_secrets', context: [userId] })
  const signSecretKey = secrets.slice(0, 64)
  const boxSecretKey = secrets.slice(64, 96)
  // The slices are copies: the 96-byte buffer would otherwise keep both secrets until collected.
  wipe(secrets)
  return {
    signing: { secretKey: signSecretKey, publicKey: sodium.crypto_sign_ed25519_sk_to_pk(signSecretKey) },
    box: { secretKey: boxSecretKey, publicKey: sodium.crypto_scalarmult_base(boxSecretKey) },
  }
}

/** Short fingerprint of public keys, for display and out-of-band comparison. */
export function publicKeyFingerprint({ signPublicKey, boxPublicKey }: { signPublicKey: Uint8Array; boxPublicKey: Uint8Array }): Uint8Array {
  return domainHash({ domain: 'cellule/fingerprint/v1', parts: [signPublicKey, boxPublicKey], length: 16 })
}

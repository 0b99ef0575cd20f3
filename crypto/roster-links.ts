import { z } from 'zod'
import { ByteReader, ByteWriter, utf8 } from './encoding.ts'
import { CryptoFormatError } from './errors.ts'
import {
  BOX_PUBLIC_KEY_BYTES,
  COMMITMENT_BYTES,
  HASH_BYTES,
  SIGNATURE_BYTES,
  SIGN_PUBLIC_KEY_BYTES,
  bytesSchema,
  codeLookup,
  fixedBytes,
  idSchema,
  memberRoleSchema,
  parseFormat,
  roleCodes,
  roleFromCode,
  type MemberRole,
} from './formats.ts'
import { domainHash, signatureDigest, sign, verifySignature } from './primitives.ts'

export const rosterLinkTypes = {
  genesis: 1,
  add_member: 2,
  remove_member: 3,
  set_role: 4,
  rotate_epoch: 5,
  publish_intake_key: 6,
  key_change: 7,
  verification_attestation: 8,
  charter_version: 9,
} as const
export type RosterLinkType = keyof typeof rosterLinkTypes

export type MemberKeys = { memberId: string; signPublicKey: Uint8Array; boxPublicKey: Uint8Array }

export type RosterPayload =
  | { type: 'genesis'; founder: MemberKeys }
  | ({ type: 'add_member'; role: MemberRole } & MemberKeys)
  | { type: 'remove_member'; memberId: string }
  | { type: 'set_role'; memberId: string; role: MemberRole }
  | {
      type: 'rotate_epoch'
      epoch: number
      keyCommitment: Uint8Array
      recipientIds: string[]
      /** IXK[epoch], the blind-index key of this epoch: fresh, sealed to nominative-capable members only. */
      indexKeyCommitment: Uint8Array
      indexRecipientIds: string[]
    }
  | {
      type: 'publish_intake_key'
      index: number
      boxPublicKey: Uint8Array
      signPublicKey: Uint8Array
      /** After this date the bundle (and the flyer printing it) is refused. */
      notAfterMs: number
      /** Commitment to the 32-byte seed both pairs derive from, sealed to `triageIds` only. */
      seedCommitment: Uint8Array
      triageIds: string[]
      /** Ed25519 by INTAKE[index-1] over this bundle (empty for index 0): old flyers follow the chain. */
      predecessorSignature: Uint8Array
    }
  | ({ type: 'key_change'; selfSignature: Uint8Array } & MemberKeys)
  | { type: 'verification_attestation'; attestedSeq: number; attestedHash: Uint8Array }
  | { type: 'charter_version'; version: number; charterHash: Uint8Array }

export type RosterLink = {
  seq: number
  prevHash: Uint8Array
  cellId: string
  authorId: string
  createdAtMs: number
  payload: RosterPayload
}

export type ParsedRosterLink = RosterLink & { signedBytes: Uint8Array; signature: Uint8Array; hash: Uint8Array }

function writeMemberKeys({ writer, keys }: { writer: ByteWriter; keys: MemberKeys }): ByteWriter {
  return writer.string(keys.memberId).bytes(keys.signPublicKey).bytes(keys.boxPublicKey)
}

function readMemberKeys(reader: ByteReader): MemberKeys {
  return { memberId: reader.string(), signPublicKey: reader.bytes(SIGN_PUBLIC_KEY_BYTES), boxPublicKey: reader.bytes(BOX_PUBLIC_KEY_BYTES) }
}

function writeIds({ writer, ids }: { writer: ByteWriter; ids: readonly string[] }): void {
  writer.u32(ids.length)
  for (const id of ids) writer.string(id)
}

function readIds(reader: ByteReader): string[] {
  const count = reader.u32()
  if (count > 10_000) throw new CryptoFormatError({ code: 'malformed', message: 'Trop de destinataires.' })
  return Array.from({ length: count }, () => reader.string())
}

function encodePayload(payload: RosterPayload): Uint8Array {
  const writer = new ByteWriter()
  switch (payload.type) {
    case 'genesis':
      return writeMemberKeys({ writer, keys: payload.founder }).finish()
    case 'add_member':
      return writeMemberKeys({ writer, keys: payload }).u8(roleCodes[payload.role]).finish()
    case 'remove_member':
      return writer.string(payload.memberId).finish()
    case 'set_role':
      return writer.string(payload.memberId).u8(roleCodes[payload.role]).finish()
    case 'rotate_epoch': {
      writer.u32(payload.epoch).bytes(payload.keyCommitment)
      writeIds({ writer, ids: payload.recipientIds })
      writer.bytes(payload.indexKeyCommitment)
      writeIds({ writer, ids: payload.indexRecipientIds })
      return writer.finish()
    }
    case 'publish_intake_key': {
      writer.u32(payload.index).bytes(payload.boxPublicKey).bytes(payload.signPublicKey).u64(payload.notAfterMs).bytes(payload.seedCommitment)
      writeIds({ writer, ids: payload.triageIds })
      return writer.longBytes(payload.predecessorSignature).finish()
    }
    case 'key_change':
      return writeMemberKeys({ writer, keys: payload }).bytes(payload.selfSignature).finish()
    case 'verification_attestation':
      return writer.u32(payload.attestedSeq).bytes(payload.attestedHash).finish()
    case 'charter_version':
      return writer.u32(payload.version).bytes(payload.charterHash).finish()
    default: {
      const unreachable: never = payload
      throw new Error(`unknown payload ${JSON.stringify(unreachable)}`)
    }
  }
}

function decodePayload({ type, bytes }: { type: RosterLinkType; bytes: Uint8Array }): RosterPayload {
  const reader = new ByteReader(bytes)
  const payload = ((): RosterPayload => {
    switch (type) {
      case 'genesis':
        return { type, founder: readMemberKeys(reader) }
      case 'add_member':
        return { type, ...readMemberKeys(reader), role: roleFromCode(reader.u8()) }
      case 'remove_member':
        return { type, memberId: reader.string() }
      case 'set_role':
        return { type, memberId: reader.string(), role: roleFromCode(reader.u8()) }
      case 'rotate_epoch': {
        const epoch = reader.u32()
        const keyCommitment = reader.bytes(COMMITMENT_BYTES)
        const recipientIds = readIds(reader)
        const indexKeyCommitment = reader.bytes(COMMITMENT_BYTES)
        const indexRecipientIds = readIds(reader)
        return { type, epoch, keyCommitment, recipientIds, indexKeyCommitment, indexRecipientIds }
      }
      case 'publish_intake_key': {
        const index = reader.u32()
        const boxPublicKey = reader.bytes(BOX_PUBLIC_KEY_BYTES)
        const signPublicKey = reader.bytes(SIGN_PUBLIC_KEY_BYTES)
        const notAfterMs = reader.u64()
        const seedCommitment = reader.bytes(COMMITMENT_BYTES)
        const triageIds = readIds(reader)
        const predecessorSignature = reader.longBytes()
        if (predecessorSignature.length !== 0 && predecessorSignature.length !== SIGNATURE_BYTES) {
          throw new CryptoFormatError({ code: 'bad_length', message: 'Signature de la clé de saisine précédente : longueur invalide.' })
        }
        return { type, index, boxPublicKey, signPublicKey, notAfterMs, seedCommitment, triageIds, predecessorSignature }
      }
      case 'key_change':
        return { type, ...readMemberKeys(reader), selfSignature: reader.bytes(SIGNATURE_BYTES) }
      case 'verification_attestation':
        return { type, attestedSeq: reader.u32(), attestedHash: reader.bytes(HASH_BYTES) }
      case 'charter_version':
        return { type, version: reader.u32(), charterHash: reader.bytes(HASH_BYTES) }
      default: {
        const unreachable: never = type
        throw new Error(`unknown link type ${String(unreachable)}`)
      }
    }
  })()
  reader.end()
  return payload
}

const typeFromCode = codeLookup({ table: rosterLinkTypes, what: 'Type de maillon' })

/** Version 2: per-epoch index keys, intake keys sealed to the triage set and chained, self-signed key changes. */
export const ROSTER_LINK_VERSION = 2
const SIGNATURE_DOMAIN = 'cellule/roster-signature/v2'

export function rosterLinkHash(linkBytes: Uint8Array): Uint8Array {
  return domainHash({ domain: 'cellule/roster-link/v2', parts: [linkBytes] })
}

/** prevHash of the genesis link: binds the whole chain to one cell id. */
export function genesisAnchor(cellId: string): Uint8Array {
  return domainHash({ domain: 'cellule/roster-genesis/v1', parts: [utf8(cellId)] })
}

/**
 * Link v2: `0x02 | type u8 | seq u32 | prevHash(32) | cellId | authorId | createdAt u64
 * | u32-prefixed payload | Ed25519(author, H(all before))(64)`; link hash = H(whole link).
 */
export function encodeRosterLink({ link, authorSignSecretKey }: { link: RosterLink; authorSignSecretKey: Uint8Array }): Uint8Array {
  const signedBytes = new ByteWriter()
    .u8(ROSTER_LINK_VERSION)
    .u8(rosterLinkTypes[link.payload.type])
    .u32(link.seq)
    .bytes(link.prevHash)
    .string(link.cellId)
    .string(link.authorId)
    .u64(link.createdAtMs)
    .longBytes(encodePayload(link.payload))
    .finish()
  const signature = sign({ message: signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes }), secretKey: authorSignSecretKey })
  return new ByteWriter().bytes(signedBytes).bytes(signature).finish()
}

export function rosterSignatureMessage(signedBytes: Uint8Array): Uint8Array {
  return signatureDigest({ domain: SIGNATURE_DOMAIN, signedBytes })
}

const keysSchema = { memberId: idSchema, signPublicKey: fixedBytes(SIGN_PUBLIC_KEY_BYTES), boxPublicKey: fixedBytes(BOX_PUBLIC_KEY_BYTES) }

const payloadSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('genesis'), founder: z.object(keysSchema) }),
  z.object({ type: z.literal('add_member'), role: memberRoleSchema, ...keysSchema }),
  z.object({ type: z.literal('remove_member'), memberId: idSchema }),
  z.object({ type: z.literal('set_role'), memberId: idSchema, role: memberRoleSchema }),
  z.object({
    type: z.literal('rotate_epoch'),
    epoch: z.number(),
    keyCommitment: fixedBytes(COMMITMENT_BYTES),
    recipientIds: z.array(idSchema),
    indexKeyCommitment: fixedBytes(COMMITMENT_BYTES),
    indexRecipientIds: z.array(idSchema),
  }),
  z.object({
    type: z.literal('publish_intake_key'),
    index: z.number(),
    boxPublicKey: fixedBytes(32),
    signPublicKey: fixedBytes(32),
    notAfterMs: z.number(),
    seedCommitment: fixedBytes(COMMITMENT_BYTES),
    triageIds: z.array(idSchema),
    predecessorSignature: bytesSchema,
  }),
  z.object({ type: z.literal('key_change'), ...keysSchema, selfSignature: fixedBytes(SIGNATURE_BYTES) }),
  z.object({ type: z.literal('verification_attestation'), attestedSeq: z.number(), attestedHash: fixedBytes(HASH_BYTES) }),
  z.object({ type: z.literal('charter_version'), version: z.number(), charterHash: fixedBytes(HASH_BYTES) }),
])

export const rosterLinkSchema = bytesSchema
  .transform((bytes) => {
    const reader = new ByteReader(bytes)
    reader.version(ROSTER_LINK_VERSION)
    const type = typeFromCode(reader.u8())
    const seq = reader.u32()
    const prevHash = reader.bytes(HASH_BYTES)
    const cellId = reader.string()
    const authorId = reader.string()
    const createdAtMs = reader.u64()
    const payload = decodePayload({ type, bytes: reader.longBytes() })
    const signedEnd = reader.position
    const signature = reader.bytes(SIGNATURE_BYTES)
    reader.end()
    return {
      seq,
      prevHash,
      cellId,
      authorId,
      createdAtMs,
      payload,
      signedBytes: bytes.subarray(0, signedEnd),
      signature,
      hash: rosterLinkHash(bytes),
    }
  })
  .pipe(
    z.object({
      seq: z.number(),
      prevHash: fixedBytes(HASH_BYTES),
      cellId: idSchema,
      authorId: idSchema,
      createdAtMs: z.number(),
      payload: payloadSchema,
      signedBytes: bytesSchema,
      signature: fixedBytes(SIGNATURE_BYTES),
      hash: fixedBytes(HASH_BYTES),
    }),
  )

export function parseRosterLink(input: Uint8Array | string): ParsedRosterLink {
  return parseFormat({ schema: rosterLinkSchema, input, name: 'Maillon du registre' }) as ParsedRosterLink
}

const KEY_CHANGE_DOMAIN = 'cellule/key-change/v1'

function keyChangeDigest({
  cellId,
  keys,
  previous,
}: {
  cellId: string
  keys: MemberKeys
  previous: { signPublicKey: Uint8Array; boxPublicKey: Uint8Array }
}): Uint8Array {
  const previousHash = domainHash({ domain: 'cellule/key-change-previous/v1', parts: [previous.signPublicKey, previous.boxPublicKey] })
  const signedBytes = new ByteWriter().string(cellId).string(keys.memberId).bytes(keys.signPublicKey).bytes(keys.boxPublicKey).bytes(previousHash).finish()
  return signatureDigest({ domain: KEY_CHANGE_DOMAIN, signedBytes })
}

/**
 * The member's consent to a key_change, by their NEW signing key over (cell, member, new keys,
 * H(old keys)): nobody without the new secret key can make it, and it cannot be replayed onto
 * other old keys (review §1e).
 */
export function signKeyChange({
  cellId,
  keys,
  previous,
  newSignSecretKey,
}: {
  cellId: string
  keys: MemberKeys
  previous: { signPublicKey: Uint8Array; boxPublicKey: Uint8Array }
  newSignSecretKey: Uint8Array
}): Uint8Array {
  return sign({ message: keyChangeDigest({ cellId, keys, previous }), secretKey: newSignSecretKey })
}

export function verifyKeyChange({
  cellId,
  keys,
  previous,
  selfSignature,
}: {
  cellId: string
  keys: MemberKeys
  previous: { signPublicKey: Uint8Array; boxPublicKey: Uint8Array }
  selfSignature: Uint8Array
}): boolean {
  return verifySignature({ signature: selfSignature, message: keyChangeDigest({ cellId, keys, previous }), publicKey: keys.signPublicKey })
}

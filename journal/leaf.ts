import { randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { canonicalJson, type JsonValue } from '#charter/canonical-json.ts'
import { auditActionSchema, auditOutcomeSchema } from './actions.ts'
import { COMMITMENT_PREFIX, LEAF_PREFIX, isHash32Hex, sha256 } from './hash.ts'

/** Leaf bytes start with this line, so a v1 leaf can never be read as another format's entry. */
export const LEAF_DOMAIN = 'cellule-audit/v1\n'
export const LEAF_VERSION = 1

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
export const uuidSchema = z.string().regex(UUID, 'UUID en minuscules attendu / lower-case UUID expected')
export const hash32HexSchema = z.string().refine(isHash32Hex, '32 octets en hexadécimal minuscule attendus / 32 bytes as lower-case hex expected')
const counter = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)

export const leafSchema = z
  .object({
    v: z.literal(LEAF_VERSION),
    eventId: uuidSchema,
    occurredAtMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    cellId: uuidSchema.nullable(),
    cellSeq: counter.nullable(),
    prevCellLeafHash: hash32HexSchema.nullable(),
    action: auditActionSchema,
    outcome: auditOutcomeSchema,
    commitment: hash32HexSchema,
  })
  .strict()
  .superRefine((leaf, context) => {
    if (leaf.cellId === null) {
      if (leaf.cellSeq !== null || leaf.prevCellLeafHash !== null) {
        context.addIssue({ code: z.ZodIssueCode.custom, path: ['cellSeq'], message: 'événement de plateforme : cellSeq et prevCellLeafHash doivent être null / platform event: cellSeq and prevCellLeafHash must be null' })
      }
      return
    }
    if (leaf.cellSeq === null) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['cellSeq'], message: 'cellSeq manquant pour un événement de cellule / cellSeq missing for a cell event' })
      return
    }
    if ((leaf.cellSeq === 1) !== (leaf.prevCellLeafHash === null)) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['prevCellLeafHash'],
        message: 'prevCellLeafHash est null pour cellSeq 1 et seulement pour lui / prevCellLeafHash is null exactly when cellSeq is 1',
      })
    }
  })
export type Leaf = z.infer<typeof leafSchema>

/** The first issue only, as "path: message", for one-line verifier reports. */
export function describeLeafProblem(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'feuille invalide / invalid leaf'
  return issue.path.length > 0 ? `${issue.path.join('.')} : ${issue.message}` : issue.message
}

export function encodeLeaf(leaf: Leaf): Buffer {
  // Re-parse so a caller cannot hash a leaf the verifier would refuse.
  return encodeParsedLeaf(leafSchema.parse(leaf))
}

/** For a value that leafSchema has just returned (the verifier's hot path): no second parse. */
export function encodeParsedLeaf(leaf: Leaf): Buffer {
  return Buffer.from(`${LEAF_DOMAIN}${canonicalJson(leaf)}`, 'utf8')
}

/** RFC 9162 §2.1.1 leaf hash over the canonical leaf bytes. */
export function hashLeafBytes(bytes: Uint8Array): Buffer {
  return sha256(Uint8Array.of(LEAF_PREFIX), bytes)
}

export function leafHash(leaf: Leaf): Buffer {
  return hashLeafBytes(encodeLeaf(leaf))
}

export const MIN_SALT_BYTES = 16
export const MAX_SALT_BYTES = 32

export function newSalt(): Buffer {
  return randomBytes(MAX_SALT_BYTES)
}

function checkSalt(salt: Uint8Array): void {
  if (salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) {
    throw new RangeError(`le sel doit faire 16 à 32 octets / salt must be 16 to 32 bytes (got ${salt.length})`)
  }
}

/** SHA-256(0x02 ‖ salt ‖ canonical JSON(detail)), as lower-case hex. */
export function computeCommitment({ salt, detail }: { salt: Uint8Array; detail: JsonValue }): string {
  checkSalt(salt)
  return sha256(Uint8Array.of(COMMITMENT_PREFIX), salt, Buffer.from(canonicalJson(detail), 'utf8')).toString('hex')
}

/** False (never a throw) for a malformed salt, detail or commitment: callers report a mismatch. */
export function checkCommitment({ salt, detail, commitment }: { salt: Uint8Array; detail: unknown; commitment: string }): boolean {
  if (!isHash32Hex(commitment)) return false
  let computed: string
  try {
    computed = computeCommitment({ salt, detail: detail as JsonValue })
  } catch {
    return false
  }
  return timingSafeEqual(Buffer.from(computed, 'hex'), Buffer.from(commitment, 'hex'))
}

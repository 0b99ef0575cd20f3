import { z } from 'zod'
import { type JsonValue } from '#charter/canonical-json.ts'
import { parseCheckpoint } from './checkpoint.ts'
import { leafHash, uuidSchema, type Leaf } from './leaf.ts'
import { buildProofTree, consistencyProof, inclusionProof } from './proofs.ts'

export const EXPORT_FORMAT = 'cellule-audit-export'
export const EXPORT_VERSION = 1

/**
 * Envelope only. Entries, details and proofs stay `unknown` here so the verifier can name
 * the first bad one itself ("entrée n° 42 …") instead of a zod path.
 */
export const exportEnvelopeSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    version: z.literal(EXPORT_VERSION),
    origin: z.string(),
    publicKey: z.string(),
    scope: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('full') }).strict(),
      z.object({ kind: z.literal('cell'), cellId: uuidSchema, firstCellSeq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict(),
    ]),
    checkpoints: z.array(z.string()).min(1),
    leaves: z.array(z.unknown()),
    details: z.array(z.unknown()).optional(),
    proofs: z
      .object({
        inclusion: z.array(z.unknown()).optional(),
        consistency: z.array(z.unknown()),
      })
      .strict(),
  })
  .strict()
export type ExportEnvelope = z.infer<typeof exportEnvelopeSchema>

const envelopeBodySchema = exportEnvelopeSchema.omit({ format: true, version: true })

export type EnvelopeReading =
  | { kind: 'export'; envelope: ExportEnvelope }
  /** Claims to be an export (by its format tag, or by everything else) of a format or version other than this one. */
  | { kind: 'other version'; claimed: { format: unknown; version: unknown } }
  | { kind: 'not an export'; error: z.ZodError }

/**
 * Only version 1 was ever written, so an export under another tag is either a downgrade
 * meant to escape the checks or a newer format this verifier cannot vouch for: tampered,
 * never "unreadable", which would read as a mere tooling problem.
 */
export function readEnvelope(file: unknown): EnvelopeReading {
  const parsed = exportEnvelopeSchema.safeParse(file)
  if (parsed.success) return { kind: 'export', envelope: parsed.data }
  if (typeof file === 'object' && file !== null && !Array.isArray(file)) {
    const { format, version, ...body } = file as Record<string, unknown>
    const claimsExport = format === EXPORT_FORMAT || envelopeBodySchema.safeParse(body).success
    if (claimsExport && (format !== EXPORT_FORMAT || version !== EXPORT_VERSION)) return { kind: 'other version', claimed: { format, version } }
  }
  return { kind: 'not an export', error: parsed.error }
}

const size = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const hashList = z.array(z.string())
export const entrySchema = z.object({ index: size, leaf: z.unknown() }).strict()
export const detailRecordSchema = z.object({ eventId: uuidSchema, salt: z.string().regex(/^(?:[0-9a-f]{2}){16,32}$/, 'sel : 16 à 32 octets en hexadécimal minuscule / salt: 16 to 32 bytes of lower-case hex'), detail: z.unknown() }).strict()
export const inclusionEntrySchema = z.object({ index: size, treeSize: size, path: hashList }).strict()
export const consistencyEntrySchema = z.object({ from: size, to: size, proof: hashList }).strict()

export type DetailRecord = { eventId: string; salt: string; detail: JsonValue }
export type AuditExport = {
  format: typeof EXPORT_FORMAT
  version: typeof EXPORT_VERSION
  origin: string
  /** Standard base64 of the raw 32-byte Ed25519 public key. */
  publicKey: string
  scope: { kind: 'full' } | { kind: 'cell'; cellId: string; firstCellSeq: number }
  checkpoints: string[]
  leaves: { index: number; leaf: Leaf }[]
  details?: DetailRecord[]
  proofs: { inclusion?: { index: number; treeSize: number; path: string[] }[]; consistency: { from: number; to: number; proof: string[] }[] }
}

const hex = (hashes: readonly Buffer[]): string[] => hashes.map((hash) => hash.toString('hex'))

/**
 * Builds an export from the whole log held in memory (tests, golden vectors, benchmark;
 * the database exporter will stream the same shape). Leaves after the last checkpoint are
 * left out: nothing signed covers them yet. A cell export carries that cell's leaves with
 * inclusion proofs against the last checkpoint; details are kept for exported events only.
 */
export function buildExport({
  origin,
  publicKey,
  leaves,
  checkpoints,
  details = [],
  cellId,
}: {
  origin: string
  publicKey: string
  leaves: readonly Leaf[]
  checkpoints: readonly string[]
  details?: readonly DetailRecord[]
  cellId?: string
}): AuditExport {
  const sizes = checkpoints.map((note) => {
    const parsed = parseCheckpoint(note)
    if (!parsed.ok) throw new Error(parsed.problem)
    return parsed.checkpoint.size
  })
  const last = sizes[sizes.length - 1]
  if (last === undefined) throw new Error('au moins un checkpoint / at least one checkpoint')
  if (last > leaves.length) throw new Error(`checkpoint de taille ${last} pour ${leaves.length} feuilles / checkpoint beyond the leaves`)
  const covered = leaves.slice(0, last)
  const tree = buildProofTree(covered.map((leaf) => leafHash(leaf)))
  const consistency = sizes.slice(1).map((to, position) => {
    const from = sizes[position]!
    return { from, to, proof: hex(consistencyProof({ tree, from, to })) }
  })
  const entries = covered.map((leaf, index) => ({ index, leaf })).filter(({ leaf }) => cellId === undefined || leaf.cellId === cellId)
  const exported = new Set(entries.map(({ leaf }) => leaf.eventId))
  const keptDetails = details.filter((record) => exported.has(record.eventId))
  const base: Omit<AuditExport, 'scope' | 'proofs' | 'details'> = { format: EXPORT_FORMAT, version: EXPORT_VERSION, origin, publicKey, checkpoints: [...checkpoints], leaves: entries }
  const withDetails = keptDetails.length > 0 ? { details: keptDetails } : {}
  if (cellId === undefined) return { ...base, scope: { kind: 'full' }, ...withDetails, proofs: { consistency } }
  return {
    ...base,
    scope: { kind: 'cell', cellId, firstCellSeq: entries[0]?.leaf.cellSeq ?? 1 },
    ...withDetails,
    proofs: { inclusion: entries.map(({ index }) => ({ index, treeSize: last, path: hex(inclusionProof({ tree, index, size: last })) })), consistency },
  }
}

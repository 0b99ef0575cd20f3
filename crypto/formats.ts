import { z } from 'zod'
import { toBytes } from './encoding.ts'
import { CryptoFormatError, type CryptoFormatErrorCode } from './errors.ts'

/** Every blob starts with this byte; there is no legacy path (DESIGN §6). */
export const FORMAT_VERSION = 1

export const KEY_BYTES = 32
export const KEY_ID_BYTES = 16
export const COMMITMENT_BYTES = 32
export const SIGNATURE_BYTES = 64
export const SIGN_PUBLIC_KEY_BYTES = 32
export const SIGN_SECRET_KEY_BYTES = 64
export const BOX_PUBLIC_KEY_BYTES = 32
export const BOX_SECRET_KEY_BYTES = 32
export const NONCE_BYTES = 24
export const AEAD_TAG_BYTES = 16
export const SEAL_OVERHEAD_BYTES = 48
export const HASH_BYTES = 32

export const bytesSchema = z.instanceof(Uint8Array)

export function fixedBytes(length: number) {
  return bytesSchema.refine((value) => value.length === length, {
    message: `expected ${length} bytes`,
    params: { code: 'bad_length' },
  })
}

/** Ids are opaque app ids (uuid, cuid, slugs): a narrow alphabet keeps the encoding canonical. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/
export const idSchema = z.string().regex(ID_PATTERN)

/** For hot-path schemas that validate in one superRefine instead of a nested object walk. */
export function refineIds({ ctx, ids }: { ctx: z.RefinementCtx; ids: Record<string, string> }): void {
  for (const field in ids) {
    const value = ids[field] as string
    if (!ID_PATTERN.test(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `identifiant ${field} invalide`, path: [field] })
  }
}

export const memberRoleSchema = z.enum(['coordinator', 'member', 'associate', 'dpo'])
export type MemberRole = z.infer<typeof memberRoleSchema>

/** Rule 7 adds the medical layer: readable by the health professionals among the participants. */
export const layerSchema = z.enum(['pseudonymised', 'nominative', 'medical'])
export type Layer = z.infer<typeof layerSchema>

export const u32Schema = z.number().int().min(0).max(0xffffffff)

export const roleCodes = { coordinator: 1, member: 2, associate: 3, dpo: 4 } as const satisfies Record<MemberRole, number>
export const layerCodes = { pseudonymised: 1, nominative: 2, medical: 3 } as const satisfies Record<Layer, number>

/** Reverse lookup for a code table, built once (decoders run on every note). */
export function codeLookup<Name extends string>({ table, what }: { table: Record<Name, number>; what: string }): (code: number) => Name {
  const byCode = new Map<number, Name>()
  for (const name of Object.keys(table) as Name[]) byCode.set(table[name], name)
  return (code) => {
    const name = byCode.get(code)
    if (name === undefined) throw new CryptoFormatError({ code: 'malformed', message: `${what} ${code} inconnu.` })
    return name
  }
}

export const roleFromCode = codeLookup({ table: roleCodes, what: 'Rôle' })
export const layerFromCode = codeLookup({ table: layerCodes, what: 'Couche' })

/**
 * Runs a zod schema over bytes (or their base64url form) and turns any failure into a
 * CryptoFormatError, so callers only ever see typed errors before anything is opened.
 */
export function parseFormat<Schema extends z.ZodTypeAny>({
  schema,
  input,
  name,
}: {
  schema: Schema
  input: Uint8Array | string
  name: string
}): z.output<Schema> {
  const bytes = toBytes(input)
  const result = schema.safeParse(bytes)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const code =
    issue && 'params' in issue && issue.params && typeof issue.params.code === 'string'
      ? (issue.params.code as CryptoFormatErrorCode)
      : 'malformed'
  throw new CryptoFormatError({ code, message: `${name} : ${issue?.message ?? 'format invalide'}` })
}

/** Validates a plain-object argument; wrong shapes are format errors too. */
export function parseInput<Schema extends z.ZodTypeAny>({
  schema,
  input,
  name,
}: {
  schema: Schema
  input: unknown
  name: string
}): z.output<Schema> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const code =
    issue && 'params' in issue && issue.params && typeof issue.params.code === 'string'
      ? (issue.params.code as CryptoFormatErrorCode)
      : 'malformed'
  throw new CryptoFormatError({
    code,
    message: `${name} : ${issue ? `${issue.path.join('.')} ${issue.message}` : 'format invalide'}`,
  })
}

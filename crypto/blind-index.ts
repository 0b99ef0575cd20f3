import { z } from 'zod'
import { ByteWriter, toBase64Url } from './encoding.ts'
import { CryptoPolicyError } from './errors.ts'
import { parseInput } from './formats.ts'
import { domainHash, randomKey } from './primitives.ts'

/**
 * IXK[cell, epoch]: the duplicate-detection key of one cell epoch, fresh at every rotation and sealed
 * to nominative-capable members only (never under the cell key, which associates hold). A removed or
 * downgraded member keeps the keys of the epochs they held and can test guesses against tags written
 * under them (name + birth date is a small space: review §8); they never get a later one.
 */
export function createCellIndexKey(): Uint8Array {
  return randomKey()
}

/** Accents, case, punctuation and word order do not matter: "DUPONT Hélène" = "hélène dupont". */
export function normalizeSubjectName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((token) => token.length > 0)
    .sort()
    .join(' ')
}

const birthDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`)
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)
  }, 'date invalide')

/** Keyed BLAKE2b: the server can match equal entries under one key, not guess names without the key. */
export function blindIndex({ indexKey, name, birthDate }: { indexKey: Uint8Array; name: string; birthDate: string }): string {
  const date = parseInput({ schema: birthDateSchema, input: birthDate, name: 'Date de naissance' })
  const normalized = normalizeSubjectName(name)
  if (normalized.length === 0) {
    throw new CryptoPolicyError({ code: 'invalid_input', message: 'Nom vide : pas d’index de recherche de doublon.' })
  }
  const message = new ByteWriter().string(normalized).string(date).finish()
  return toBase64Url(domainHash({ domain: 'cellule/blind-index/v1', parts: [message], key: indexKey }))
}

export type IndexTag = { epoch: number; tag: string }

/**
 * The tags of one person under every index key the client holds (current epoch and the earlier ones
 * it can open): a duplicate check queries all of them, since situations are re-indexed lazily.
 */
export function blindIndexTags({ indexKeys, name, birthDate }: { indexKeys: ReadonlyMap<number, Uint8Array>; name: string; birthDate: string }): IndexTag[] {
  return [...indexKeys.entries()]
    .sort(([left], [right]) => right - left)
    .map(([epoch, indexKey]) => ({ epoch, tag: blindIndex({ indexKey, name, birthDate }) }))
}

/** A stored tag is stale when written under an earlier epoch: the participant who opens the situation rewrites it under the current key. */
export function isStaleIndexTag({ tagEpoch, currentEpoch }: { tagEpoch: number; currentEpoch: number }): boolean {
  return tagEpoch < currentEpoch
}

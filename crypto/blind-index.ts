import { z } from 'zod'
import { ByteWriter, toBase64Url } from './encoding.ts'
import { CryptoPolicyError } from './errors.ts'
import { parseInput } from './formats.ts'
import { domainHash, randomKey } from './primitives.ts'

/** Per-cell key for duplicate detection; wrapped under CK and carried across epochs. */
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

/** Keyed BLAKE2b: the server can match equal entries within a cell, not guess names without the key. */
export function blindIndex({ indexKey, name, birthDate }: { indexKey: Uint8Array; name: string; birthDate: string }): string {
  const date = parseInput({ schema: birthDateSchema, input: birthDate, name: 'Date de naissance' })
  const normalized = normalizeSubjectName(name)
  if (normalized.length === 0) {
    throw new CryptoPolicyError({ code: 'invalid_input', message: 'Nom vide : pas d’index de recherche de doublon.' })
  }
  const message = new ByteWriter().string(normalized).string(date).finish()
  return toBase64Url(domainHash({ domain: 'cellule/blind-index/v1', parts: [message], key: indexKey }))
}

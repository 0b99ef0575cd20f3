import { type KeyObject } from 'node:crypto'
import { type DuplicateKey, type JsonPath, findDuplicateKey } from './duplicate-key.ts'
import { entrySchema } from './export.ts'
import { Failure, entryFailure, tampered } from './verify-failure.ts'
import { type VerifyResult, verifyExport } from './verify.ts'

// JSON.parse keeps the last of two equal keys: the other value would never be checked.
const HIDDEN = { fr: "l'une des deux valeurs échapperait à la vérification", en: 'one of the two values would escape verification' }

/** `leaf.occurredAtMs`, `proofs.consistency[0].from`, quoted, on one line and short. */
function describePath(path: JsonPath): string {
  const text = path.map((step, position) => (typeof step === 'number' ? `[${step}]` : `${position === 0 ? '' : '.'}${step}`)).join('')
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)
}

function duplicateFailure({ duplicate, file }: { duplicate: DuplicateKey; file: unknown }): Failure {
  const [top, position, ...inside] = duplicate.path
  if (top !== 'leaves' || typeof position !== 'number') {
    const where = describePath([...duplicate.path, duplicate.key])
    return tampered(`clé ${where} en double dans l'export : ${HIDDEN.fr}`, `duplicate key ${where} in the export: ${HIDDEN.en}`)
  }
  const where = describePath([...inside, duplicate.key])
  const fr = `clé ${where} en double : ${HIDDEN.fr}`
  const en = `duplicate key ${where}: ${HIDDEN.en}`
  // A duplicated `index` has no single leaf number to give.
  const entry = inside.length === 0 && duplicate.key === 'index' ? undefined : entrySchema.safeParse((file as { leaves?: unknown[] }).leaves?.[position])
  if (!entry?.success) return new Failure('tampered', `entrée n° ${position} : ${fr} / entry ${position}: ${en}`, position)
  return entryFailure({ position, index: entry.data.index, fr, en })
}

/**
 * Verifies an export from its JSON text, as read from the file (the CLI's entry point).
 * Not JSON: unreadable. A duplicate key at any depth: tampered, before anything else, since
 * the parsed value would not be all the file says. Then verifyExport on the parsed value.
 */
export function verifyExportText({ text, ...options }: { text: string; trustedPublicKey?: KeyObject; knownCheckpoint?: string }): VerifyResult {
  let file: unknown
  try {
    file = JSON.parse(text)
  } catch {
    return new Failure('unreadable', 'export illisible : JSON invalide (fichier tronqué ou autre format ?) / unreadable export: invalid JSON').toResult()
  }
  const duplicate = findDuplicateKey(text)
  if (duplicate) return duplicateFailure({ duplicate, file }).toResult()
  return verifyExport({ file, ...options })
}

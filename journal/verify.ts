import { type KeyObject } from 'node:crypto'
import { isOrigin } from './checkpoint.ts'
import { EXPORT_FORMAT, EXPORT_VERSION, readEnvelope, type ExportEnvelope } from './export.ts'
import { checkCheckpoints, checkConsistency, checkKey, checkKnownCheckpoint, readConsistencyProofs } from './verify-checkpoints.ts'
import { verifyEntries } from './verify-entries.ts'
import { Failure, firstIssue, tampered, type VerifyFailure } from './verify-failure.ts'

export { type VerifyFailure } from './verify-failure.ts'

export type VerifySuccess = {
  ok: true
  scope: 'full' | 'cell'
  entries: number
  checkpoints: number
  treeSize: number
  /** Base64, as in the checkpoint note. */
  root: string
  detailsChecked: number
  /** Entries whose detail is absent (purged or withheld): verified from the leaf alone. */
  withoutDetail: number
  warnings: string[]
}
export type VerifyResult = VerifySuccess | VerifyFailure

/** A claimed value, short and on one line whatever the file holds. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'absente (missing)'
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

/** Step 1: a version-1 export, or a failure saying which kind (another version is tampered, not unreadable). */
function envelopeOf(file: unknown): ExportEnvelope {
  const reading = readEnvelope(file)
  if (reading.kind === 'other version') {
    const { format, version } = reading.claimed
    const claim = `${format === EXPORT_FORMAT ? '' : `format ${shown(format)} `}version ${shown(version)}`
    throw tampered(
      `l'export se déclare ${claim} au lieu de ${EXPORT_FORMAT} version ${EXPORT_VERSION} : ce n'est pas la version attendue (retour à une version antérieure ?), ce vérificateur ne lit que la version ${EXPORT_VERSION}`,
      `the export claims ${claim} instead of ${EXPORT_FORMAT} version ${EXPORT_VERSION}: not the expected version (downgrade?), this verifier reads version ${EXPORT_VERSION} only`,
    )
  }
  if (reading.kind === 'not an export') throw new Failure('unreadable', `fichier d'export illisible (${firstIssue(reading.error)}) / unreadable export file`)
  return reading.envelope
}

/**
 * Verifies an export offline. Order: key, checkpoint signatures and order, consistency
 * between checkpoints (and with a previously seen one), then every entry in index order
 * (shape, details, per-cell density and chain, tree roots or inclusion proofs). The first
 * problem met is returned; nothing is trusted before its check. A parsed value can no longer
 * show duplicate keys: a file read from disk goes through verifyExportText.
 */
export function verifyExport({ file, trustedPublicKey, knownCheckpoint }: { file: unknown; trustedPublicKey?: KeyObject; knownCheckpoint?: string }): VerifyResult {
  try {
    return run({ file, trustedPublicKey, knownCheckpoint })
  } catch (error) {
    if (error instanceof Failure) return error.toResult()
    throw error
  }
}

function run({ file, trustedPublicKey, knownCheckpoint }: { file: unknown; trustedPublicKey?: KeyObject; knownCheckpoint?: string }): VerifySuccess {
  const envelope = envelopeOf(file)
  const warnings: string[] = []
  if (!isOrigin(envelope.origin)) throw tampered(`origine invalide : ${JSON.stringify(envelope.origin)}`, 'invalid origin')
  const key = checkKey({ envelope, trustedPublicKey, warnings })
  const checkpoints = checkCheckpoints({ envelope, key })
  const latest = checkpoints[checkpoints.length - 1]!
  const proofs = readConsistencyProofs(envelope)
  checkConsistency({ checkpoints, proofs })
  const known = checkKnownCheckpoint({ knownCheckpoint, origin: envelope.origin, key, checkpoints, proofs, scope: envelope.scope.kind, warnings })
  const { detailsChecked } = verifyEntries({ envelope, checkpoints, treeWalkKnown: known?.needsTreeWalk ? known.known : undefined, warnings })
  return {
    ok: true,
    scope: envelope.scope.kind,
    entries: envelope.leaves.length,
    checkpoints: checkpoints.length,
    treeSize: latest.size,
    root: latest.root.toString('base64'),
    detailsChecked,
    withoutDetail: envelope.leaves.length - detailsChecked,
    warnings,
  }
}

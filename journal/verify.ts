import { type KeyObject } from 'node:crypto'
import { type ParsedCheckpoint, isOrigin, verifyCheckpoint } from './checkpoint.ts'
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  consistencyEntrySchema,
  detailRecordSchema,
  entrySchema,
  inclusionEntrySchema,
  readEnvelope,
  type ExportEnvelope,
} from './export.ts'
import { isHash32Hex } from './hash.ts'
import { publicKeyFromBase64, rawPublicKey } from './keys.ts'
import { checkCommitment, describeLeafProblem, encodeParsedLeaf, hashLeafBytes, leafSchema } from './leaf.ts'
import { EMPTY_FRONTIER, EMPTY_ROOT, appendLeafHash, frontierRoot } from './merkle.ts'
import { verifyConsistency, verifyInclusion } from './proofs.ts'
import { Failure, entryFailure, firstIssue, tampered, type VerifyFailure } from './verify-failure.ts'

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

function hashes(list: readonly string[]): Buffer[] | null {
  return list.every(isHash32Hex) ? list.map((hash) => Buffer.from(hash, 'hex')) : null
}

/** A claimed value, short and on one line whatever the file holds. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'absente (missing)'
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

type Signed = ParsedCheckpoint & { position: number }

function cpLabel(checkpoint: Signed): { fr: string; en: string } {
  return { fr: `checkpoint n° ${checkpoint.position} (taille ${checkpoint.size})`, en: `checkpoint ${checkpoint.position} (size ${checkpoint.size})` }
}

function checkKey({ envelope, trustedPublicKey, warnings }: { envelope: ExportEnvelope; trustedPublicKey?: KeyObject; warnings: string[] }): KeyObject {
  let exportKey: KeyObject
  try {
    exportKey = publicKeyFromBase64(envelope.publicKey)
  } catch {
    throw tampered("clé publique de l'export invalide (32 octets Ed25519 en base64 attendus)", 'invalid export public key (32-byte Ed25519 in base64 expected)')
  }
  if (!trustedPublicKey) {
    warnings.push(
      "clé publique lue dans l'export lui-même : sans clé de confiance (--public-key), un export entièrement re-signé passerait / public key taken from the export itself: without a trusted key (--public-key) a fully re-signed export would pass",
    )
    return exportKey
  }
  if (!rawPublicKey(trustedPublicKey).equals(rawPublicKey(exportKey))) {
    throw tampered("la clé publique de l'export n'est pas la clé de confiance", 'the export public key is not the trusted key')
  }
  return trustedPublicKey
}

function checkCheckpoints({ envelope, key }: { envelope: ExportEnvelope; key: KeyObject }): Signed[] {
  const checkpoints: Signed[] = []
  envelope.checkpoints.forEach((note, position) => {
    const result = verifyCheckpoint({ note, publicKey: key })
    if (!result.ok) throw new Failure('tampered', `checkpoint n° ${position} (checkpoint ${position}) : ${result.problem}`)
    const checkpoint = { ...result.checkpoint, position }
    if (checkpoint.origin !== envelope.origin) throw tampered(`${cpLabel(checkpoint).fr} : origine ${checkpoint.origin} au lieu de ${envelope.origin}`, `${cpLabel(checkpoint).en}: wrong origin`)
    const previous = checkpoints[checkpoints.length - 1]
    if (previous && checkpoint.size === previous.size) {
      if (!checkpoint.root.equals(previous.root)) {
        throw tampered(
          `checkpoints n° ${previous.position} et ${position} : deux racines différentes signées pour la taille ${checkpoint.size} (fork)`,
          `checkpoints ${previous.position} and ${position}: two different roots signed for size ${checkpoint.size} (fork)`,
        )
      }
      throw tampered(`${cpLabel(checkpoint).fr} : en double`, `${cpLabel(checkpoint).en}: duplicate`)
    }
    if (previous && checkpoint.size < previous.size) {
      throw tampered(
        `${cpLabel(checkpoint).fr} : plus petit que le checkpoint n° ${previous.position} (taille ${previous.size}) ; les checkpoints doivent être dans l'ordre croissant (retour en arrière ?)`,
        `${cpLabel(checkpoint).en}: smaller than checkpoint ${previous.position}; checkpoints must be in increasing order (rollback?)`,
      )
    }
    checkpoints.push(checkpoint)
  })
  return checkpoints
}

type ConsistencyProofs = Map<string, Buffer[]>

function readConsistencyProofs(envelope: ExportEnvelope): ConsistencyProofs {
  const proofs: ConsistencyProofs = new Map()
  envelope.proofs.consistency.forEach((candidate, position) => {
    const parsed = consistencyEntrySchema.safeParse(candidate)
    const list = parsed.success ? hashes(parsed.data.proof) : null
    if (!parsed.success || !list) {
      throw tampered(`preuve de cohérence n° ${position} mal formée`, `consistency proof ${position} is malformed`)
    }
    proofs.set(`${parsed.data.from}-${parsed.data.to}`, list)
  })
  return proofs
}

function checkConsistency({ checkpoints, proofs }: { checkpoints: readonly Signed[]; proofs: ConsistencyProofs }): void {
  for (let position = 1; position < checkpoints.length; position++) {
    const older = checkpoints[position - 1]!
    const newer = checkpoints[position]!
    const proof = proofs.get(`${older.size}-${newer.size}`)
    if (!proof) {
      throw tampered(
        `preuve de cohérence absente entre les checkpoints n° ${older.position} et ${newer.position} (tailles ${older.size} → ${newer.size})`,
        `missing consistency proof between checkpoints ${older.position} and ${newer.position} (sizes ${older.size} → ${newer.size})`,
      )
    }
    if (!verifyConsistency({ from: older.size, to: newer.size, fromRoot: older.root, toRoot: newer.root, proof })) {
      throw tampered(
        `${cpLabel(newer).fr} incohérent avec le ${cpLabel(older).fr} : l'historique a été réécrit (fork)`,
        `${cpLabel(newer).en} is inconsistent with ${cpLabel(older).en}: history was rewritten (fork)`,
      )
    }
  }
}

/**
 * A checkpoint seen earlier (by the DPO, a witness, a previous export) pins the history:
 * the export must reach at least its size and contain it as a prefix. Returns the size
 * whose root the full-export tree walk must still compare, if no proof settled it.
 */
function checkKnown({ known, checkpoints, proofs, scope }: { known: ParsedCheckpoint; checkpoints: readonly Signed[]; proofs: ConsistencyProofs; scope: 'full' | 'cell' }): boolean {
  const latest = checkpoints[checkpoints.length - 1]!
  if (known.size > latest.size) {
    throw tampered(
      `retour en arrière : le dernier checkpoint de l'export a la taille ${latest.size}, mais un checkpoint de taille ${known.size} a déjà été vu`,
      `rollback: the export's latest checkpoint has size ${latest.size}, but a checkpoint of size ${known.size} was already seen`,
    )
  }
  const forked = tampered(
    `le checkpoint déjà vu (taille ${known.size}) n'est pas un préfixe de cet export : l'historique a été réécrit (fork)`,
    `the previously seen checkpoint (size ${known.size}) is not a prefix of this export: history was rewritten (fork)`,
  )
  const same = checkpoints.find((checkpoint) => checkpoint.size === known.size)
  if (same) {
    if (!same.root.equals(known.root)) throw forked
    return false
  }
  for (const checkpoint of checkpoints) {
    const proof = checkpoint.size > known.size ? proofs.get(`${known.size}-${checkpoint.size}`) : undefined
    if (!proof) continue
    if (!verifyConsistency({ from: known.size, to: checkpoint.size, fromRoot: known.root, toRoot: checkpoint.root, proof })) throw forked
    return false
  }
  if (scope === 'full') return true
  throw tampered(
    `aucune preuve de cohérence depuis le checkpoint déjà vu (taille ${known.size}) : impossible d'exclure une réécriture`,
    `no consistency proof from the previously seen checkpoint (size ${known.size}): a rewrite cannot be ruled out`,
  )
}

type DetailEntry = { position: number; salt: Buffer; detail: unknown; used: boolean }

function readDetails(envelope: ExportEnvelope): Map<string, DetailEntry> {
  const details = new Map<string, DetailEntry>()
  ;(envelope.details ?? []).forEach((candidate, position) => {
    const parsed = detailRecordSchema.safeParse(candidate)
    if (!parsed.success) throw tampered(`détail n° ${position} mal formé : ${firstIssue(parsed.error)}`, `detail ${position} is malformed`)
    if (details.has(parsed.data.eventId)) throw tampered(`détail n° ${position} : événement ${parsed.data.eventId} en double`, `detail ${position}: duplicate event`)
    details.set(parsed.data.eventId, { position, salt: Buffer.from(parsed.data.salt, 'hex'), detail: parsed.data.detail, used: false })
  })
  return details
}

type CellTrack = { lastSeq: number; lastHash: Buffer; lastPosition: number; lastIndex: number }

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
  const { envelope } = reading
  const scope = envelope.scope
  const warnings: string[] = []
  if (!isOrigin(envelope.origin)) throw tampered(`origine invalide : ${JSON.stringify(envelope.origin)}`, 'invalid origin')
  const key = checkKey({ envelope, trustedPublicKey, warnings })
  const checkpoints = checkCheckpoints({ envelope, key })
  const latest = checkpoints[checkpoints.length - 1]!
  const proofs = readConsistencyProofs(envelope)
  checkConsistency({ checkpoints, proofs })

  let known: ParsedCheckpoint | undefined
  let knownNeedsTreeWalk = false
  if (knownCheckpoint !== undefined) {
    const result = verifyCheckpoint({ note: knownCheckpoint, publicKey: key })
    if (!result.ok) throw new Failure('tampered', `checkpoint déjà vu (previously seen checkpoint) : ${result.problem}`)
    if (result.checkpoint.origin !== envelope.origin) throw tampered("le checkpoint déjà vu est d'un autre journal", 'the previously seen checkpoint belongs to another log')
    known = result.checkpoint
    knownNeedsTreeWalk = checkKnown({ known, checkpoints, proofs, scope: scope.kind })
  } else {
    warnings.push(
      "aucun checkpoint déjà vu (--known) : un export plus ancien présenté comme le dernier (retour en arrière) ne peut pas être détecté / no previously seen checkpoint (--known): an older export presented as the latest (rollback) cannot be detected",
    )
  }

  const details = readDetails(envelope)
  const inclusion = new Map<number, { treeSize: number; path: Buffer[]; position: number }>()
  ;(envelope.proofs.inclusion ?? []).forEach((candidate, position) => {
    const parsed = inclusionEntrySchema.safeParse(candidate)
    const path = parsed.success ? hashes(parsed.data.path) : null
    if (!parsed.success || !path) throw tampered(`preuve d'inclusion n° ${position} mal formée`, `inclusion proof ${position} is malformed`)
    if (inclusion.has(parsed.data.index)) throw tampered(`preuve d'inclusion n° ${position} : en double pour la feuille ${parsed.data.index}`, `inclusion proof ${position}: duplicate`)
    inclusion.set(parsed.data.index, { treeSize: parsed.data.treeSize, path, position })
  })
  const checkpointBySize = new Map(checkpoints.map((checkpoint) => [checkpoint.size, checkpoint]))

  // Roots the full walk must meet, by tree size.
  const targets = new Map<number, { root: Buffer; fr: string; en: string; from: number }>()
  if (scope.kind === 'full') {
    let from = 0
    for (const checkpoint of checkpoints) {
      targets.set(checkpoint.size, { root: checkpoint.root, ...cpLabel(checkpoint), from })
      from = checkpoint.size
    }
    if (known && knownNeedsTreeWalk) targets.set(known.size, { root: known.root, fr: `checkpoint déjà vu (taille ${known.size})`, en: `previously seen checkpoint (size ${known.size})`, from: 0 })
  }
  const checkTarget = (size: number, root: Buffer): void => {
    const target = targets.get(size)
    if (!target || target.root.equals(root)) return
    throw tampered(
      `${target.fr} : la racine recalculée diffère ; une entrée parmi les n° ${target.from} à ${size - 1} a été modifiée, insérée, supprimée ou déplacée`,
      `${target.en}: recomputed root differs; an entry among ${target.from}..${size - 1} was modified, inserted, deleted or moved`,
    )
  }
  if (scope.kind === 'full') checkTarget(0, EMPTY_ROOT)

  const eventPositions = new Map<string, number>()
  const cells = new Map<string, CellTrack>()
  let frontier = EMPTY_FRONTIER
  let previousIndex = -1
  let detailsChecked = 0
  const leafHashes: Buffer[] = []
  envelope.leaves.forEach((candidate, position) => {
    const entry = entrySchema.safeParse(candidate)
    if (!entry.success) {
      throw new Failure('tampered', `entrée n° ${position} : mal formée (${firstIssue(entry.error)}) / entry ${position}: malformed`, position)
    }
    const { index } = entry.data
    const fail = (fr: string, en: string): Failure => entryFailure({ position, index, fr, en })
    if (scope.kind === 'full' && index !== position) {
      throw fail(`porte l'index ${index} au lieu de ${position} (entrée supprimée, insérée ou déplacée)`, `carries index ${index} instead of ${position} (entry deleted, inserted or moved)`)
    }
    if (scope.kind === 'cell' && index <= previousIndex) {
      throw fail(`index ${index} après ${previousIndex} : les entrées doivent être dans l'ordre du journal`, `index ${index} after ${previousIndex}: entries must follow log order`)
    }
    if (index >= latest.size) {
      throw fail(
        `au-delà du dernier checkpoint (taille ${latest.size}) : aucune signature ne couvre cette entrée`,
        `beyond the last checkpoint (size ${latest.size}): no signature covers this entry`,
      )
    }
    previousIndex = index
    const leafResult = leafSchema.safeParse(entry.data.leaf)
    if (!leafResult.success) throw fail(`feuille invalide — ${describeLeafProblem(leafResult.error)}`, 'invalid leaf')
    const leaf = leafResult.data
    const hash = hashLeafBytes(encodeParsedLeaf(leaf))

    const seenAt = eventPositions.get(leaf.eventId)
    if (seenAt !== undefined) throw fail(`événement ${leaf.eventId} déjà présent à l'entrée n° ${seenAt}`, `event already present at entry ${seenAt}`)
    eventPositions.set(leaf.eventId, position)

    const detail = details.get(leaf.eventId)
    if (detail) {
      detail.used = true
      if (!checkCommitment({ salt: detail.salt, detail: detail.detail, commitment: leaf.commitment })) {
        throw fail(`le détail n° ${detail.position} ne correspond pas à l'engagement (commitment) de la feuille`, `detail ${detail.position} does not match the leaf commitment`)
      }
      detailsChecked++
    }

    if (scope.kind === 'cell' && leaf.cellId !== scope.cellId) {
      throw fail(`appartient à la cellule ${String(leaf.cellId)}, pas à ${scope.cellId}`, `belongs to cell ${String(leaf.cellId)}, not ${scope.cellId}`)
    }
    if (leaf.cellId !== null && leaf.cellSeq !== null) {
      const track = cells.get(leaf.cellId)
      const expectedSeq = track ? track.lastSeq + 1 : scope.kind === 'cell' ? scope.firstCellSeq : 1
      if (leaf.cellSeq !== expectedSeq) {
        throw fail(
          `cellSeq ${leaf.cellSeq} au lieu de ${expectedSeq} pour la cellule ${leaf.cellId} (entrée de cellule manquante, en trop ou déplacée)`,
          `cellSeq ${leaf.cellSeq} instead of ${expectedSeq} for cell ${leaf.cellId} (cell entry missing, extra or moved)`,
        )
      }
      if (track && (leaf.prevCellLeafHash === null || !track.lastHash.equals(Buffer.from(leaf.prevCellLeafHash, 'hex')))) {
        throw entryFailure({
          position: track.lastPosition,
          index: track.lastIndex,
          fr: `son hachage ne correspond pas au prevCellLeafHash de l'entrée n° ${position} (leaf ${index}), suivante de la même cellule : l'une des deux a été modifiée`,
          en: `its hash does not match the prevCellLeafHash of entry ${position} (leaf ${index}), next in the same cell: one of them was modified`,
        })
      }
      cells.set(leaf.cellId, { lastSeq: leaf.cellSeq, lastHash: hash, lastPosition: position, lastIndex: index })
    }

    if (scope.kind === 'full') {
      leafHashes.push(hash)
      frontier = appendLeafHash({ frontier, leafHash: hash })
      if (targets.has(frontier.size)) checkTarget(frontier.size, frontierRoot(frontier))
    } else {
      const proof = inclusion.get(index)
      if (!proof) throw fail("preuve d'inclusion absente", 'missing inclusion proof')
      const checkpoint = checkpointBySize.get(proof.treeSize)
      if (!checkpoint) throw fail(`preuve d'inclusion pour une taille ${proof.treeSize} sans checkpoint`, `inclusion proof for size ${proof.treeSize} has no checkpoint`)
      if (!verifyInclusion({ leafHash: hash, index, size: checkpoint.size, proof: proof.path, root: checkpoint.root })) {
        throw fail(`preuve d'inclusion invalide contre le ${cpLabel(checkpoint).fr}`, `invalid inclusion proof against ${cpLabel(checkpoint).en}`)
      }
    }
  })

  if (scope.kind === 'full' && frontier.size < latest.size) {
    throw tampered(
      `l'export s'arrête après ${frontier.size} entrées alors que le checkpoint n° ${latest.position} en couvre ${latest.size} (fin tronquée ou entrées supprimées)`,
      `the export stops after ${frontier.size} entries while checkpoint ${latest.position} covers ${latest.size} (truncated tail or deleted entries)`,
    )
  }
  if (scope.kind === 'full') {
    for (const [index, proof] of inclusion) {
      const checkpoint = checkpointBySize.get(proof.treeSize)
      const hash = leafHashes[index]
      if (!checkpoint || !hash || !verifyInclusion({ leafHash: hash, index, size: checkpoint.size, proof: proof.path, root: checkpoint.root })) {
        throw tampered(`preuve d'inclusion n° ${proof.position} (leaf ${index}) invalide`, `inclusion proof ${proof.position} (leaf ${index}) is invalid`)
      }
    }
  } else {
    warnings.push(
      "export d'une cellule : la présence de toutes les entrées jusqu'à la dernière exportée est prouvée, pas l'absence d'entrées plus récentes / cell export: completeness up to the last exported entry is proven, not the absence of later entries",
    )
  }
  for (const [eventId, detail] of details) {
    if (!detail.used) throw tampered(`détail n° ${detail.position} : l'événement ${eventId} n'est pas dans l'export`, `detail ${detail.position}: event ${eventId} is not in the export`)
  }
  return {
    ok: true,
    scope: scope.kind,
    entries: envelope.leaves.length,
    checkpoints: checkpoints.length,
    treeSize: latest.size,
    root: latest.root.toString('base64'),
    detailsChecked,
    withoutDetail: envelope.leaves.length - detailsChecked,
    warnings,
  }
}

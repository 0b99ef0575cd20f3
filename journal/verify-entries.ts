import { type ParsedCheckpoint } from './checkpoint.ts'
import { detailRecordSchema, entrySchema, inclusionEntrySchema, type ExportEnvelope } from './export.ts'
import { hexHashes } from './hash.ts'
import { checkCommitment, describeLeafProblem, encodeParsedLeaf, hashLeafBytes, leafSchema, type Leaf } from './leaf.ts'
import { EMPTY_FRONTIER, EMPTY_ROOT, appendLeafHash, frontierRoot, type Frontier } from './merkle.ts'
import { verifyInclusion } from './proofs.ts'
import { cpLabel, type Signed } from './verify-checkpoints.ts'
import { Failure, entryFailure, firstIssue, tampered } from './verify-failure.ts'

/** The verifier's walk over the entries, in index order, and what it checks at the end (journal/README.md, steps 6–7). */

type Scope = ExportEnvelope['scope']
type DetailEntry = { position: number; salt: Buffer; detail: unknown; used: boolean }
type InclusionEntry = { treeSize: number; path: Buffer[]; position: number }
type Target = { root: Buffer; fr: string; en: string; from: number }
type CellTrack = { lastSeq: number; lastHash: Buffer; lastPosition: number; lastIndex: number }

/** Everything the walk has learnt so far; entries are checked one by one against it. */
type Walk = {
  readonly scope: Scope
  readonly latest: Signed
  readonly details: Map<string, DetailEntry>
  readonly inclusion: Map<number, InclusionEntry>
  readonly checkpointBySize: Map<number, Signed>
  /** Roots the full walk must meet, by tree size. */
  readonly targets: Map<number, Target>
  readonly eventPositions: Map<string, number>
  readonly cells: Map<string, CellTrack>
  readonly leafHashes: Buffer[]
  frontier: Frontier
  previousIndex: number
  detailsChecked: number
}

export type EntriesResult = { detailsChecked: number }

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

function readInclusionProofs(envelope: ExportEnvelope): Map<number, InclusionEntry> {
  const inclusion = new Map<number, InclusionEntry>()
  ;(envelope.proofs.inclusion ?? []).forEach((candidate, position) => {
    const parsed = inclusionEntrySchema.safeParse(candidate)
    const path = parsed.success ? hexHashes(parsed.data.path) : null
    if (!parsed.success || !path) throw tampered(`preuve d'inclusion n° ${position} mal formée`, `inclusion proof ${position} is malformed`)
    if (inclusion.has(parsed.data.index)) throw tampered(`preuve d'inclusion n° ${position} : en double pour la feuille ${parsed.data.index}`, `inclusion proof ${position}: duplicate`)
    inclusion.set(parsed.data.index, { treeSize: parsed.data.treeSize, path, position })
  })
  return inclusion
}

function rootTargets({ scope, checkpoints, known }: { scope: Scope; checkpoints: readonly Signed[]; known: ParsedCheckpoint | undefined }): Map<number, Target> {
  const targets = new Map<number, Target>()
  if (scope.kind !== 'full') return targets
  let from = 0
  for (const checkpoint of checkpoints) {
    targets.set(checkpoint.size, { root: checkpoint.root, ...cpLabel(checkpoint), from })
    from = checkpoint.size
  }
  if (known) targets.set(known.size, { root: known.root, fr: `checkpoint déjà vu (taille ${known.size})`, en: `previously seen checkpoint (size ${known.size})`, from: 0 })
  return targets
}

function checkTarget({ targets, size, root }: { targets: Map<number, Target>; size: number; root: Buffer }): void {
  const target = targets.get(size)
  if (!target || target.root.equals(root)) return
  throw tampered(
    `${target.fr} : la racine recalculée diffère ; une entrée parmi les n° ${target.from} à ${size - 1} a été modifiée, insérée, supprimée ou déplacée`,
    `${target.en}: recomputed root differs; an entry among ${target.from}..${size - 1} was modified, inserted, deleted or moved`,
  )
}

type Fail = (fr: string, en: string) => Failure

/** Shape and place: full exports hold every index in order, cell exports increasing ones, none beyond the last checkpoint. */
function readEntry({ walk, candidate, position }: { walk: Walk; candidate: unknown; position: number }): { index: number; leaf: unknown; fail: Fail } {
  const entry = entrySchema.safeParse(candidate)
  if (!entry.success) throw new Failure('tampered', `entrée n° ${position} : mal formée (${firstIssue(entry.error)}) / entry ${position}: malformed`, position)
  const { index } = entry.data
  const fail: Fail = (fr, en) => entryFailure({ position, index, fr, en })
  if (walk.scope.kind === 'full' && index !== position) {
    throw fail(`porte l'index ${index} au lieu de ${position} (entrée supprimée, insérée ou déplacée)`, `carries index ${index} instead of ${position} (entry deleted, inserted or moved)`)
  }
  if (walk.scope.kind === 'cell' && index <= walk.previousIndex) {
    throw fail(`index ${index} après ${walk.previousIndex} : les entrées doivent être dans l'ordre du journal`, `index ${index} after ${walk.previousIndex}: entries must follow log order`)
  }
  if (index >= walk.latest.size) {
    throw fail(`au-delà du dernier checkpoint (taille ${walk.latest.size}) : aucune signature ne couvre cette entrée`, `beyond the last checkpoint (size ${walk.latest.size}): no signature covers this entry`)
  }
  walk.previousIndex = index
  return { index, leaf: entry.data.leaf, fail }
}

/** Each event once, and its detail (when kept) the one its leaf committed to. */
function checkEventAndDetail({ walk, leaf, position, fail }: { walk: Walk; leaf: Leaf; position: number; fail: Fail }): void {
  const seenAt = walk.eventPositions.get(leaf.eventId)
  if (seenAt !== undefined) throw fail(`événement ${leaf.eventId} déjà présent à l'entrée n° ${seenAt}`, `event already present at entry ${seenAt}`)
  walk.eventPositions.set(leaf.eventId, position)
  const detail = walk.details.get(leaf.eventId)
  if (!detail) return
  detail.used = true
  if (!checkCommitment({ salt: detail.salt, detail: detail.detail, commitment: leaf.commitment })) {
    throw fail(`le détail n° ${detail.position} ne correspond pas à l'engagement (commitment) de la feuille`, `detail ${detail.position} does not match the leaf commitment`)
  }
  walk.detailsChecked++
}

/** A cell's entries are dense (cellSeq 1, 2, 3…) and each names the hash of the one before. */
function checkCellChain({ walk, leaf, hash, position, index, fail }: { walk: Walk; leaf: Leaf; hash: Buffer; position: number; index: number; fail: Fail }): void {
  if (walk.scope.kind === 'cell' && leaf.cellId !== walk.scope.cellId) {
    throw fail(`appartient à la cellule ${String(leaf.cellId)}, pas à ${walk.scope.cellId}`, `belongs to cell ${String(leaf.cellId)}, not ${walk.scope.cellId}`)
  }
  if (leaf.cellId === null || leaf.cellSeq === null) return
  const track = walk.cells.get(leaf.cellId)
  const expectedSeq = track ? track.lastSeq + 1 : walk.scope.kind === 'cell' ? walk.scope.firstCellSeq : 1
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
  walk.cells.set(leaf.cellId, { lastSeq: leaf.cellSeq, lastHash: hash, lastPosition: position, lastIndex: index })
}

/** Full scope: the tree grows and meets every checkpoint's root. Cell scope: the entry's inclusion proof. */
function checkInTree({ walk, hash, index, fail }: { walk: Walk; hash: Buffer; index: number; fail: Fail }): void {
  if (walk.scope.kind === 'full') {
    walk.leafHashes.push(hash)
    walk.frontier = appendLeafHash({ frontier: walk.frontier, leafHash: hash })
    if (walk.targets.has(walk.frontier.size)) checkTarget({ targets: walk.targets, size: walk.frontier.size, root: frontierRoot(walk.frontier) })
    return
  }
  const proof = walk.inclusion.get(index)
  if (!proof) throw fail("preuve d'inclusion absente", 'missing inclusion proof')
  const checkpoint = walk.checkpointBySize.get(proof.treeSize)
  if (!checkpoint) throw fail(`preuve d'inclusion pour une taille ${proof.treeSize} sans checkpoint`, `inclusion proof for size ${proof.treeSize} has no checkpoint`)
  if (!verifyInclusion({ leafHash: hash, index, size: checkpoint.size, proof: proof.path, root: checkpoint.root })) {
    throw fail(`preuve d'inclusion invalide contre le ${cpLabel(checkpoint).fr}`, `invalid inclusion proof against ${cpLabel(checkpoint).en}`)
  }
}

function checkEntry({ walk, candidate, position }: { walk: Walk; candidate: unknown; position: number }): void {
  const { index, leaf: rawLeaf, fail } = readEntry({ walk, candidate, position })
  const parsed = leafSchema.safeParse(rawLeaf)
  if (!parsed.success) throw fail(`feuille invalide — ${describeLeafProblem(parsed.error)}`, 'invalid leaf')
  const leaf = parsed.data
  const hash = hashLeafBytes(encodeParsedLeaf(leaf))
  checkEventAndDetail({ walk, leaf, position, fail })
  checkCellChain({ walk, leaf, hash, position, index, fail })
  checkInTree({ walk, hash, index, fail })
}

/** After the walk: a full export reaches the last checkpoint and its optional proofs hold; every detail belongs to an entry. */
function checkCompleteness({ walk, warnings }: { walk: Walk; warnings: string[] }): void {
  const { latest } = walk
  if (walk.scope.kind === 'full' && walk.frontier.size < latest.size) {
    throw tampered(
      `l'export s'arrête après ${walk.frontier.size} entrées alors que le checkpoint n° ${latest.position} en couvre ${latest.size} (fin tronquée ou entrées supprimées)`,
      `the export stops after ${walk.frontier.size} entries while checkpoint ${latest.position} covers ${latest.size} (truncated tail or deleted entries)`,
    )
  }
  if (walk.scope.kind === 'full') {
    for (const [index, proof] of walk.inclusion) {
      const checkpoint = walk.checkpointBySize.get(proof.treeSize)
      const hash = walk.leafHashes[index]
      if (!checkpoint || !hash || !verifyInclusion({ leafHash: hash, index, size: checkpoint.size, proof: proof.path, root: checkpoint.root })) {
        throw tampered(`preuve d'inclusion n° ${proof.position} (leaf ${index}) invalide`, `inclusion proof ${proof.position} (leaf ${index}) is invalid`)
      }
    }
  } else {
    warnings.push(
      "export d'une cellule : la présence de toutes les entrées jusqu'à la dernière exportée est prouvée, pas l'absence d'entrées plus récentes / cell export: completeness up to the last exported entry is proven, not the absence of later entries",
    )
  }
  for (const [eventId, detail] of walk.details) {
    if (!detail.used) throw tampered(`détail n° ${detail.position} : l'événement ${eventId} n'est pas dans l'export`, `detail ${detail.position}: event ${eventId} is not in the export`)
  }
}

/**
 * Every entry in index order (shape, details, per-cell density and chain, tree roots or
 * inclusion proofs), then completeness. `treeWalkKnown`: the previously seen checkpoint whose
 * root only the full walk can compare (no proof settled it).
 */
export function verifyEntries({
  envelope,
  checkpoints,
  treeWalkKnown,
  warnings,
}: {
  envelope: ExportEnvelope
  checkpoints: readonly Signed[]
  treeWalkKnown: ParsedCheckpoint | undefined
  warnings: string[]
}): EntriesResult {
  const walk: Walk = {
    scope: envelope.scope,
    latest: checkpoints[checkpoints.length - 1]!,
    details: readDetails(envelope),
    inclusion: readInclusionProofs(envelope),
    checkpointBySize: new Map(checkpoints.map((checkpoint) => [checkpoint.size, checkpoint])),
    targets: rootTargets({ scope: envelope.scope, checkpoints, known: treeWalkKnown }),
    eventPositions: new Map(),
    cells: new Map(),
    leafHashes: [],
    frontier: EMPTY_FRONTIER,
    previousIndex: -1,
    detailsChecked: 0,
  }
  if (walk.scope.kind === 'full') checkTarget({ targets: walk.targets, size: 0, root: EMPTY_ROOT })
  envelope.leaves.forEach((candidate, position) => checkEntry({ walk, candidate, position }))
  checkCompleteness({ walk, warnings })
  return { detailsChecked: walk.detailsChecked }
}

import { type KeyObject } from 'node:crypto'
import { type ParsedCheckpoint, verifyCheckpoint } from './checkpoint.ts'
import { consistencyEntrySchema, type ExportEnvelope } from './export.ts'
import { hexHashes } from './hash.ts'
import { publicKeyFromBase64, rawPublicKey } from './keys.ts'
import { verifyConsistency } from './proofs.ts'
import { Failure, tampered } from './verify-failure.ts'

/** The verifier's first steps: the key, the signed checkpoints and the proofs that chain them (journal/README.md, steps 2–5). */

export type Signed = ParsedCheckpoint & { position: number }

export function cpLabel(checkpoint: Signed): { fr: string; en: string } {
  return { fr: `checkpoint n° ${checkpoint.position} (taille ${checkpoint.size})`, en: `checkpoint ${checkpoint.position} (size ${checkpoint.size})` }
}

export function checkKey({ envelope, trustedPublicKey, warnings }: { envelope: ExportEnvelope; trustedPublicKey?: KeyObject; warnings: string[] }): KeyObject {
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

export function checkCheckpoints({ envelope, key }: { envelope: ExportEnvelope; key: KeyObject }): Signed[] {
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

export type ConsistencyProofs = Map<string, Buffer[]>

export function readConsistencyProofs(envelope: ExportEnvelope): ConsistencyProofs {
  const proofs: ConsistencyProofs = new Map()
  envelope.proofs.consistency.forEach((candidate, position) => {
    const parsed = consistencyEntrySchema.safeParse(candidate)
    const list = parsed.success ? hexHashes(parsed.data.proof) : null
    if (!parsed.success || !list) {
      throw tampered(`preuve de cohérence n° ${position} mal formée`, `consistency proof ${position} is malformed`)
    }
    proofs.set(`${parsed.data.from}-${parsed.data.to}`, list)
  })
  return proofs
}

export function checkConsistency({ checkpoints, proofs }: { checkpoints: readonly Signed[]; proofs: ConsistencyProofs }): void {
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

/**
 * The previously seen checkpoint, when the DPO gives one: signed by the same key for the same
 * log, then checkKnown. Without one, a rollback cannot be detected: say so.
 */
export function checkKnownCheckpoint({
  knownCheckpoint,
  origin,
  key,
  checkpoints,
  proofs,
  scope,
  warnings,
}: {
  knownCheckpoint: string | undefined
  origin: string
  key: KeyObject
  checkpoints: readonly Signed[]
  proofs: ConsistencyProofs
  scope: 'full' | 'cell'
  warnings: string[]
}): { known: ParsedCheckpoint; needsTreeWalk: boolean } | undefined {
  if (knownCheckpoint === undefined) {
    warnings.push(
      "aucun checkpoint déjà vu (--known) : un export plus ancien présenté comme le dernier (retour en arrière) ne peut pas être détecté / no previously seen checkpoint (--known): an older export presented as the latest (rollback) cannot be detected",
    )
    return undefined
  }
  const result = verifyCheckpoint({ note: knownCheckpoint, publicKey: key })
  if (!result.ok) throw new Failure('tampered', `checkpoint déjà vu (previously seen checkpoint) : ${result.problem}`)
  if (result.checkpoint.origin !== origin) throw tampered("le checkpoint déjà vu est d'un autre journal", 'the previously seen checkpoint belongs to another log')
  const known = result.checkpoint
  return { known, needsTreeWalk: checkKnown({ known, checkpoints, proofs, scope }) }
}

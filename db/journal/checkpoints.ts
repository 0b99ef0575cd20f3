import { desc } from 'drizzle-orm'
import { noteKeyId, parseCheckpoint, signCheckpoint, verifyCheckpoint } from '#journal/checkpoint.ts'
import { type SigningKey } from '#journal/keys.ts'
import { consistencyProof, treeRoot, verifyConsistency } from '#journal/proofs.ts'
import { type Database } from '../database.ts'
import { auditCheckpoints } from '../schema.ts'
import { loadProofTree } from './proof-source.ts'
import { readLogHead } from './sequencer.ts'

export type LogSigner = { key: SigningKey; origin: string }

export class InconsistentLogError extends Error {
  override name = 'InconsistentLogError'
}

/** A stored note this log's key really signed, for that size and root (rows anyone could insert are not trusted). */
function signedByUs({ note, treeSize, root, signer }: { note: string; treeSize: number; root: string; signer: LogSigner }): boolean {
  const verified = verifyCheckpoint({ note, publicKey: signer.key.publicKey })
  return verified.ok && verified.checkpoint.origin === signer.origin && verified.checkpoint.size === treeSize && verified.checkpoint.root.toString('hex') === root
}

/** The newest checkpoint signed by this log's key: a forged row cannot stop the signer. */
export async function latestSignedCheckpoint(db: Database, signer: LogSigner) {
  const rows = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.treeSize)).limit(50)
  return rows.find((row) => signedByUs({ ...row, signer }))
}

/**
 * Signs a checkpoint of the current tree when it grew since the last one. Before signing, the
 * tree is checked against the last signed checkpoint: its root recomputed from the stored
 * hashes at that size, and a consistency proof between the two verified. A log rewritten
 * behind the signer's back is refused (C2SP: never sign an inconsistent checkpoint).
 */
export async function signCheckpointIfGrown(db: Database, signer: LogSigner): Promise<{ signed: boolean; treeSize: number }> {
  const head = await readLogHead(db)
  const previous = await latestSignedCheckpoint(db, signer)
  const previousSize = previous?.treeSize ?? 0
  if (head.treeSize === 0 || head.treeSize <= previousSize) return { signed: false, treeSize: previousSize }
  const tree = await loadProofTree(db, { size: head.treeSize, boundarySizes: [previousSize] })
  const storedRoot = treeRoot({ tree })
  if (!storedRoot.equals(head.root)) throw new InconsistentLogError('la racine des feuilles stockées diffère de l’état du journal / stored leaves disagree with the log state')
  if (previous) {
    const parsed = parseCheckpoint(previous.note)
    if (!parsed.ok) throw new InconsistentLogError(`dernier checkpoint illisible / last checkpoint unreadable: ${parsed.problem}`)
    const proof = consistencyProof({ tree, from: previousSize, to: head.treeSize })
    if (!verifyConsistency({ from: previousSize, to: head.treeSize, fromRoot: parsed.checkpoint.root, toRoot: head.root, proof })) {
      throw new InconsistentLogError(`le journal n’est plus cohérent avec le checkpoint ${previousSize} / the log is not consistent with checkpoint ${previousSize}`)
    }
  }
  const note = signCheckpoint({ origin: signer.origin, size: head.treeSize, root: head.root, privateKey: signer.key.privateKey })
  const inserted = await db
    .insert(auditCheckpoints)
    .values({ treeSize: head.treeSize, root: head.root.toString('hex'), note, keyId: noteKeyId({ origin: signer.origin, publicKey: signer.key.publicKey }).toString('hex') })
    .onConflictDoNothing()
    .returning({ treeSize: auditCheckpoints.treeSize })
  return { signed: inserted.length > 0, treeSize: head.treeSize }
}

/** Checkpoints for an export: up to `count` spread over the log, always the latest, and `sinceSize` when it was signed. */
export async function selectCheckpoints(db: Database, { signer, count = 8, sinceSize }: { signer: LogSigner; count?: number; sinceSize?: number }): Promise<{ treeSize: number; note: string }[]> {
  const rows = await db.select({ treeSize: auditCheckpoints.treeSize, note: auditCheckpoints.note, root: auditCheckpoints.root }).from(auditCheckpoints).orderBy(auditCheckpoints.treeSize)
  const all = rows.filter((row) => signedByUs({ ...row, signer }))
  if (all.length === 0) return []
  const picked = new Map<number, { treeSize: number; note: string }>()
  const step = Math.max(1, Math.floor(all.length / count))
  for (let i = all.length - 1; i >= 0 && picked.size < count; i -= step) picked.set(all[i]!.treeSize, all[i]!)
  if (sinceSize !== undefined) {
    const since = all.find((row) => row.treeSize === sinceSize)
    if (since) picked.set(since.treeSize, since)
  }
  return [...picked.values()].sort((a, b) => a.treeSize - b.treeSize)
}


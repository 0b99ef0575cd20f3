import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { logOrigin, signCheckpoint } from './checkpoint.ts'
import { buildExport, type DetailRecord } from './export.ts'
import { generateSigningKey } from './keys.ts'
import { computeCommitment, newSalt, type Leaf } from './leaf.ts'
import { EMPTY_LOG_STATE, sequenceBatch, type QueuedEvent } from './sequencer.ts'
import { verifyExport } from './verify.ts'

export type VerifyBenchmark = {
  leaves: number
  cells: number
  checkpoints: number
  detailsChecked: number
  buildSeconds: number
  verifySeconds: number
  /** Entries of a full export verified per second (`verifyPerSecond` in bench/results/audit-latest.json). */
  verifyPerSecond: number
  /** The same for one cell's export (inclusion proofs instead of a tree rebuild). */
  cellVerifyPerSecond: number
}

/**
 * Builds a synthetic log of `leaves` events over `cells` cells (one in ten a platform
 * event, details kept for half), signs a checkpoint every tenth of the way, then times
 * the offline verifier on the full export and on the busiest cell's export. Not a test.
 */
export function measureVerifyThroughput({ leaves, cells = 50 }: { leaves: number; cells?: number }): VerifyBenchmark {
  const started = performance.now()
  const key = generateSigningKey()
  const origin = logOrigin('bench.invalid')
  const cellIds = Array.from({ length: cells }, () => randomUUID())
  const all: Leaf[] = []
  const details: DetailRecord[] = []
  const checkpoints: string[] = []
  const step = Math.max(1, Math.ceil(leaves / 10))
  let state = EMPTY_LOG_STATE
  for (let start = 0; start < leaves; start += step) {
    const events: QueuedEvent[] = []
    for (let n = start; n < Math.min(leaves, start + step); n++) {
      const salt = newSalt()
      const detail = { actor: { userId: randomUUID(), role: 'member' }, request: { ip: '192.0.2.1', route: '/cellules' } }
      const eventId = randomUUID()
      if (n % 2 === 0) details.push({ eventId, salt: salt.toString('hex'), detail })
      events.push({
        eventId,
        occurredAtMs: 1_767_225_600_000 + n,
        cellId: n % 10 === 9 ? null : cellIds[n % cells]!,
        action: 'cell.members.read',
        outcome: 'success',
        commitment: computeCommitment({ salt, detail }),
      })
    }
    const result = sequenceBatch({ state, events })
    state = result.state
    all.push(...result.leaves.map((sequenced) => sequenced.leaf))
    checkpoints.push(signCheckpoint({ origin, size: state.frontier.size, root: result.root, privateKey: key.privateKey }))
  }
  const publicKey = key.publicKeyRaw.toString('base64')
  const full = buildExport({ origin, publicKey, leaves: all, checkpoints, details })
  const cell = buildExport({ origin, publicKey, leaves: all, checkpoints, details, cellId: cellIds[0]! })
  // The verifier reads a parsed JSON file: give it plain data, not the builder's objects.
  const fullFile: unknown = JSON.parse(JSON.stringify(full))
  const cellFile: unknown = JSON.parse(JSON.stringify(cell))
  const buildSeconds = (performance.now() - started) / 1000

  const verifyStarted = performance.now()
  const result = verifyExport({ file: fullFile, trustedPublicKey: key.publicKey })
  const verifySeconds = (performance.now() - verifyStarted) / 1000
  if (!result.ok) throw new Error(`benchmark export does not verify: ${result.message}`)
  const cellStarted = performance.now()
  const cellResult = verifyExport({ file: cellFile, trustedPublicKey: key.publicKey })
  const cellSeconds = (performance.now() - cellStarted) / 1000
  if (!cellResult.ok) throw new Error(`benchmark cell export does not verify: ${cellResult.message}`)
  return {
    leaves,
    cells,
    checkpoints: checkpoints.length,
    detailsChecked: result.detailsChecked,
    buildSeconds,
    verifySeconds,
    verifyPerSecond: Math.round(leaves / verifySeconds),
    cellVerifyPerSecond: Math.round(cellResult.entries / cellSeconds),
  }
}

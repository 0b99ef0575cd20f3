import { logOrigin, parseCheckpoint } from '#journal/checkpoint.ts'
import { loadOrCreateSigningKey } from '#journal/keys.ts'
import { type Database } from '../database.ts'
import { auditCheckpoints } from '../schema.ts'
import { signCheckpointIfGrown, type LogSigner } from './checkpoints.ts'
import { purgeExpiredDetails } from './purge.ts'
import { oldestPendingEvent, sequenceAll, sequencePending } from './sequencer.ts'

type Logger = { info: (object: object, message: string) => void; warn: (object: object, message: string) => void; error: (object: object, message: string) => void }

/**
 * The log's signing key and origin. The origin is fixed by the first checkpoint ever signed
 * (later checkpoints must carry the same one, or old exports would stop verifying); before
 * that it is built from `host`.
 */
export async function loadAuditSigner(db: Database, { keyFile, allowCreate, host }: { keyFile: string; allowCreate: boolean; host: string }) {
  const { key, created } = loadOrCreateSigningKey({ path: keyFile, allowCreate })
  const [first] = await db.select({ note: auditCheckpoints.note }).from(auditCheckpoints).orderBy(auditCheckpoints.treeSize).limit(1)
  const parsed = first ? parseCheckpoint(first.note) : undefined
  const origin = parsed?.ok ? parsed.checkpoint.origin : logOrigin(host)
  return { signer: { key, origin } satisfies LogSigner, created }
}

export type AuditDrainFailure = { step: 'sequence' | 'checkpoint'; error: unknown }

/** The final seal or signature at shutdown failed: the queue is kept, the next start retries, the operator must know. */
export class AuditDrainError extends Error {
  override name = 'AuditDrainError'
  readonly failures: AuditDrainFailure[]
  constructor(failures: AuditDrainFailure[]) {
    super(`audit log drain failed at shutdown (${failures.map(failure => failure.step).join(', ')})`)
    this.failures = failures
  }
}

export type AuditServiceStatus = { lastSequencedAt: number | null; lastCheckpointAt: number | null; lastError: string | null; pendingOldestAgeMs: number | null }

type Loops = { stopped: boolean; readonly timers: Set<NodeJS.Timeout>; readonly running: Set<Promise<void>> }

/** Runs `step` every `everyMs` after the previous run ended (never overlapping itself); a failure goes to `onError` and the loop goes on. */
function startLoop({ loops, everyMs, firstDelayMs = everyMs, step, onError }: { loops: Loops; everyMs: number; firstDelayMs?: number; step: () => Promise<void>; onError: (error: unknown) => void }): void {
  const schedule = (delay: number) => {
    const timer = setTimeout(() => {
      loops.timers.delete(timer)
      tick()
    }, delay)
    timer.unref()
    loops.timers.add(timer)
  }
  const tick = () => {
    if (loops.stopped) return
    const work = step()
      .catch(onError)
      .finally(() => {
        loops.running.delete(work)
        if (!loops.stopped) schedule(everyMs)
      })
    loops.running.add(work)
  }
  schedule(firstDelayMs)
}

/**
 * The in-process sequencer, checkpoint signer and retention purge, each on its own timer that
 * never overlaps itself. With several app processes on one server, the advisory lock lets one
 * sequence at a time and the checkpoint's primary key lets one sign each size.
 */
export function startAuditLogService({
  db,
  signer,
  logger,
  retentionMonths,
  sequenceEveryMs = 500,
  checkpointEveryMs = 5_000,
  purgeEveryMs = 6 * 60 * 60 * 1000,
}: {
  db: Database
  signer: LogSigner
  logger: Logger
  retentionMonths: number
  sequenceEveryMs?: number
  checkpointEveryMs?: number
  purgeEveryMs?: number
}) {
  const status: AuditServiceStatus = { lastSequencedAt: null, lastCheckpointAt: null, lastError: null, pendingOldestAgeMs: null }
  const loops: Loops = { stopped: false, timers: new Set(), running: new Set() }
  const loop = (name: string, everyMs: number, step: () => Promise<void>, firstDelayMs = everyMs) =>
    startLoop({
      loops,
      everyMs,
      firstDelayMs,
      step,
      onError: (error) => {
        status.lastError = `${name}: ${(error as Error).message}`
        logger.error({ task: name, err: { message: (error as Error).message } }, 'audit log task failed')
      },
    })

  const sequence = async () => {
    for (;;) {
      const run = await sequencePending(db)
      if (run.sequenced > 0) status.lastSequencedAt = Date.now()
      if (!run.locked || run.sequenced === 0) break
    }
  }
  const checkpoint = async () => {
    const result = await signCheckpointIfGrown(db, signer)
    if (result.signed) status.lastCheckpointAt = Date.now()
    // A transaction held open somewhere stalls the horizon: say so before it becomes a gap in time.
    const oldest = await oldestPendingEvent(db)
    status.pendingOldestAgeMs = oldest ? Date.now() - oldest.occurredAtMs : null
    if (status.pendingOldestAgeMs !== null && status.pendingOldestAgeMs > 30_000) logger.warn({ lagMs: status.pendingOldestAgeMs }, 'audit log sequencing lags: a long transaction holds the horizon')
  }
  const purge = async () => {
    const result = await purgeExpiredDetails(db, { months: retentionMonths })
    if (result.purged > 0) logger.info({ purged: result.purged, cutoffMs: result.cutoffMs }, 'audit details purged (retention)')
  }

  loop('sequence', sequenceEveryMs, sequence)
  loop('checkpoint', checkpointEveryMs, checkpoint, Math.min(checkpointEveryMs, 1_000))
  loop('purge', purgeEveryMs, purge, 10_000)

  return {
    status,
    /** Stops the timers, waits for work in flight, then integrates and signs what is left; throws AuditDrainError if that failed. */
    async stop({ drain = true }: { drain?: boolean } = {}) {
      loops.stopped = true
      for (const timer of loops.timers) clearTimeout(timer)
      loops.timers.clear()
      await Promise.allSettled([...loops.running])
      if (!drain) return
      // Both steps are tried: what was sealed before a sequencing failure still gets its checkpoint.
      const failures: AuditDrainFailure[] = []
      await sequenceAll(db, { timeoutMs: 5_000 }).catch((error: unknown) => failures.push({ step: 'sequence', error }))
      await signCheckpointIfGrown(db, signer).catch((error: unknown) => failures.push({ step: 'checkpoint', error }))
      if (failures.length > 0) throw new AuditDrainError(failures)
    },
  }
}


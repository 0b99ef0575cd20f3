/**
 * npm run bench:audit — what the audit log costs the write path (DESIGN §11), written to
 * bench/results/audit-latest.json. Needs a PostgreSQL server (DATABASE_URL): it creates its own
 * database and drops it. Not a test: it reports, it does not fail on the goal.
 *
 * Baseline and audited rounds alternate (ABBA order) so that drift (cache, autovacuum, table
 * growth) hits both; medians over the rounds.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { measureVerifyThroughput } from '../db/audit-log/bench.ts'
import { logOrigin } from '../db/audit-log/checkpoint.ts'
import { generateSigningKey } from '../db/audit-log/keys.ts'
import { verifyExport } from '../db/audit-log/verify.ts'
import { appendAuditEvent, exportAuditLog, readLogHead, sequenceAll, sequencePending, signCheckpointIfGrown } from '../db/audit-store/index.ts'
import { queryRows, toSafeNumber } from '../db/audit-store/rows.ts'
import { type Database } from '../db/database.ts'
import { runMigrations } from '../db/migrate.ts'
import { openDatabase } from '../db/open.ts'

const CLIENTS = 16
const ROUNDS = 5
const ROUND_MS = 3_000
/** startAuditLogService's default period. */
const SEQUENCE_EVERY_MS = 500
const CORE_LEAVES = 100_000
const CELLS = Array.from({ length: 8 }, () => randomUUID())

type RoundKind = 'baseline' | 'audited'
type Round = { round: number; kind: RoundKind; transactions: number; seconds: number; txPerSecond: number }

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!
}

/** A business write as a route would do it; `audited` adds the event in the same transaction. */
async function businessTransaction(db: Database, { audited }: { audited: boolean }): Promise<string | null> {
  return db.transaction(async (tx) => {
    const cellId = pick(CELLS)
    await tx.execute(sql`insert into bench_writes (cell_id, payload) values (${cellId}, ${randomBytes(48).toString('base64')})`)
    if (!audited) return null
    return appendAuditEvent(tx, {
      action: 'cell.members.read',
      outcome: 'success',
      cellId,
      detail: { actorUserId: randomUUID(), actorRole: 'member', ip: '192.0.2.1', route: `/cellules/${cellId}/membres`, requestId: randomUUID(), resource: `cell:${cellId}:members` },
    })
  })
}

/**
 * One round of CLIENTS concurrent writers for ROUND_MS. Audited rounds run the sequencer beside
 * them, as the server does, and keep it going until the round's events are all leaves; the lag is
 * from a transaction's commit to the end of the sequencer run that integrated its event.
 */
async function runRound(db: Database, { round, kind }: { round: number; kind: RoundKind }): Promise<{ result: Round; lagsMs: number[] }> {
  const audited = kind === 'audited'
  const committedAt = new Map<string, number>()
  const sequencerRuns: { endedAt: number; treeSize: number }[] = []
  const startSize = (await readLogHead(db)).treeSize
  let transactions = 0
  let stopped = false
  let target = Number.POSITIVE_INFINITY

  const client = async () => {
    while (!stopped) {
      const eventId = await businessTransaction(db, { audited })
      if (eventId) committedAt.set(eventId, performance.now())
      transactions++
    }
  }
  const sequencer = async () => {
    for (;;) {
      const run = await sequencePending(db)
      if (run.locked) sequencerRuns.push({ endedAt: performance.now(), treeSize: run.treeSize })
      if (run.treeSize >= target) return
      await sleep(SEQUENCE_EVERY_MS)
    }
  }

  const sequencing = audited ? sequencer() : Promise.resolve()
  const started = performance.now()
  const clients = Array.from({ length: CLIENTS }, client)
  await sleep(ROUND_MS)
  stopped = true
  await Promise.all(clients)
  const seconds = (performance.now() - started) / 1000
  target = startSize + committedAt.size
  await sequencing

  const lagsMs: number[] = []
  if (audited) {
    const leaves = await queryRows<{ event_id: string; leaf_index: unknown }>(db, sql`select event_id, leaf_index from audit_leaves where leaf_index >= ${startSize}`)
    for (const leaf of leaves) {
      const index = toSafeNumber(leaf.leaf_index)
      const run = sequencerRuns.find((candidate) => candidate.treeSize > index)
      const committed = committedAt.get(leaf.event_id)
      if (run && committed !== undefined) lagsMs.push(run.endedAt - committed)
    }
  }
  return { result: { round, kind, transactions, seconds: Number(seconds.toFixed(3)), txPerSecond: Math.round(transactions / seconds) }, lagsMs }
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

const serverUrl = process.env.DATABASE_URL
if (!serverUrl) {
  process.stderr.write(
    'bench:audit a besoin d’un serveur PostgreSQL : DATABASE_URL=postgres://… npm run bench:audit (une base temporaire est créée puis supprimée).\n' +
      'bench:audit needs a PostgreSQL server: set DATABASE_URL (a temporary database is created, then dropped).\n',
  )
  process.exit(1)
}

const databaseName = `cellule_bench_${randomBytes(6).toString('hex')}`
const benchUrl = new URL(serverUrl)
benchUrl.pathname = `/${databaseName}`
await withAdmin(serverUrl, (admin) => admin.query(`create database ${databaseName}`))
const handle = await openDatabase({ kind: 'postgres', databaseUrl: benchUrl.toString(), maxConnections: CLIENTS + 2 })

try {
  const db = handle.db
  await runMigrations(handle)
  await db.execute(sql`create table bench_writes (id bigserial primary key, cell_id uuid not null, payload text not null)`)
  const signer = { key: generateSigningKey(), origin: logOrigin('bench.cellule.invalid') }

  // Warm-up: connections opened, plans cached, tables touched.
  await runRound(db, { round: 0, kind: 'audited' })
  await runRound(db, { round: 0, kind: 'baseline' })

  const rounds: Round[] = []
  const lagsMs: number[] = []
  for (let round = 1; round <= ROUNDS; round++) {
    const order: RoundKind[] = round % 2 === 1 ? ['baseline', 'audited'] : ['audited', 'baseline']
    for (const kind of order) {
      const { result, lagsMs: roundLags } = await runRound(db, { round, kind })
      rounds.push(result)
      lagsMs.push(...roundLags)
      process.stdout.write(`round ${round} ${kind.padEnd(8)} ${result.txPerSecond} tx/s\n`)
    }
    // A checkpoint per round, so the export carries consistency proofs.
    await signCheckpointIfGrown(db, signer)
  }

  await sequenceAll(db)
  await signCheckpointIfGrown(db, signer)
  const exported: unknown = JSON.parse(JSON.stringify(await exportAuditLog(db, signer)))
  const verifyStarted = performance.now()
  const verified = verifyExport({ file: exported, trustedPublicKey: signer.key.publicKey })
  const verifySeconds = (performance.now() - verifyStarted) / 1000
  if (!verified.ok) throw new Error(`the benchmark's export does not verify: ${verified.message}`)

  const core = measureVerifyThroughput({ leaves: CORE_LEAVES })

  const baselineTxPerSecond = median(rounds.filter((round) => round.kind === 'baseline').map((round) => round.txPerSecond))
  const auditedTxPerSecond = median(rounds.filter((round) => round.kind === 'audited').map((round) => round.txPerSecond))
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
    settings: { clients: CLIENTS, rounds: ROUNDS, roundSeconds: ROUND_MS / 1000, sequenceEveryMs: SEQUENCE_EVERY_MS, order: 'ABBA, medians' },
    baselineTxPerSecond,
    auditedTxPerSecond,
    appendRatio: Number((auditedTxPerSecond / baselineTxPerSecond).toFixed(3)),
    goal: 0.8,
    verifyPerSecond: Math.round(verified.entries / verifySeconds),
    verifyEntries: verified.entries,
    verifyCheckpoints: (exported as { checkpoints: unknown[] }).checkpoints.length,
    verifyPerSecondCore: core.verifyPerSecond,
    verifyCore: { leaves: core.leaves, cells: core.cells, seconds: Number(core.verifySeconds.toFixed(3)), cellVerifyPerSecond: core.cellVerifyPerSecond },
    sequencerLagMs: lagsMs.length > 0 ? Math.round(Math.max(...lagsMs)) : null,
    sequencerLagMedianMs: lagsMs.length > 0 ? Math.round(median(lagsMs)) : null,
    sequencerLagP95Ms: lagsMs.length > 0 ? Math.round(percentile(lagsMs, 0.95)) : null,
    rounds,
  }

  const directory = new URL('./results/', import.meta.url)
  mkdirSync(directory, { recursive: true })
  writeFileSync(new URL('audit-latest.json', directory), `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(
    `baseline ${baselineTxPerSecond} tx/s, audited ${auditedTxPerSecond} tx/s: appendRatio ${result.appendRatio} (goal ≥ ${result.goal})\n` +
      `verify: ${result.verifyPerSecond} entries/s on the database export (${verified.entries} entries), ${result.verifyPerSecondCore} entries/s in the core (${CORE_LEAVES} leaves)\n` +
      `sequencer lag: max ${result.sequencerLagMs} ms, p95 ${result.sequencerLagP95Ms} ms, median ${result.sequencerLagMedianMs} ms (every ${SEQUENCE_EVERY_MS} ms)\n` +
      'written to bench/results/audit-latest.json\n',
  )
} finally {
  await handle.close()
  await withAdmin(serverUrl, (admin) => admin.query(`drop database if exists ${databaseName} with (force)`))
}

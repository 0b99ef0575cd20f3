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
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { measureVerifyThroughput } from '#journal/bench.ts'
import { logOrigin } from '#journal/checkpoint.ts'
import { generateSigningKey } from '#journal/keys.ts'
import { verifyExport } from '#journal/verify.ts'
import { exportAuditLog, recordAudit, readLogHead, sequenceAll, sequencePending, signCheckpointIfGrown } from '#db/journal/index.ts'
import { queryRows, toSafeNumber } from '#db/journal/rows.ts'
import { and, desc, eq } from 'drizzle-orm'
import { type Database } from '../db/database.ts'
import { cellCharters, cells, charterSignatures, memberships, users } from '../db/schema.ts'
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

type Workload = 'insert' | 'route'
let workload: Workload = 'insert'
/** Route workload fixtures: one member per client in each cell, charter signed. */
let members: { userId: string; cellId: string }[] = []

/**
 * The write path of a cell route as the app runs it (app/cells/cell-guard.server.ts and a
 * mutation route): a decision transaction (cell, membership, latest signature, charter rules),
 * then the mutation's transaction. Audited, the decision writes its event (guard) and the
 * mutation its effect (recordAudit), as in production; without audit, the same statements less those two.
 */
async function routeTransaction(db: Database, { audited }: { audited: boolean }): Promise<string | null> {
  const { userId, cellId } = pick(members)
  const decisionEvent = await db.transaction(async (tx) => {
    const [cell] = await tx.select().from(cells).where(eq(cells.id, cellId))
    await tx.select().from(memberships).where(and(eq(memberships.cellId, cellId), eq(memberships.userId, userId)))
    await tx.select({ version: charterSignatures.version }).from(charterSignatures).where(and(eq(charterSignatures.cellId, cellId), eq(charterSignatures.userId, userId))).orderBy(desc(charterSignatures.version)).limit(1)
    await tx.select().from(cellCharters).where(and(eq(cellCharters.cellId, cellId), eq(cellCharters.version, cell?.currentCharterVersion ?? 1)))
    if (!audited) return null
    return recordAudit(
      tx,
      { type: 'authz.granted', outcome: 'success', policyAction: 'cell:charter:sign', resource: 'charter' },
      { cellId, actorUserId: userId, actorRole: 'member', ipAddress: '192.0.2.1', userAgent: 'bench', route: `POST /api/cells/${cellId}/charter`, requestId: randomUUID() },
    )
  })
  await db.transaction(async (tx) => {
    await tx.execute(sql`insert into bench_writes (cell_id, payload) values (${cellId}, ${randomBytes(48).toString('base64')})`)
    if (audited) await recordAudit(tx, { type: 'cell.charter.signed', outcome: 'success', data: { version: 1 } }, { cellId, actorUserId: userId, ipAddress: '192.0.2.1' })
  })
  return decisionEvent
}

/** A bare business write; `audited` adds the event in the same transaction. */
async function businessTransaction(db: Database, { audited }: { audited: boolean }): Promise<string | null> {
  if (workload === 'route') return routeTransaction(db, { audited })
  return db.transaction(async (tx) => {
    const cellId = pick(CELLS)
    await tx.execute(sql`insert into bench_writes (cell_id, payload) values (${cellId}, ${randomBytes(48).toString('base64')})`)
    if (!audited) return null
    return recordAudit(
      tx,
      { type: 'cell.members.read', outcome: 'success', resource: `cell:${cellId}:members` },
      { cellId, actorUserId: randomUUID(), actorRole: 'member', ipAddress: '192.0.2.1', route: `/cellules/${cellId}/membres`, requestId: randomUUID() },
    )
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
      if (eventId && workload === 'route') committedAt.set(`effect:${transactions}`, performance.now())
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
  // The route workload writes two events per transaction (decision and effect).
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

/** Users, cells, memberships, charter version 1 and its signatures: what the guard reads. */
async function createRouteFixtures(db: Database): Promise<{ userId: string; cellId: string }[]> {
  const fixtures: { userId: string; cellId: string }[] = []
  for (const [index, cellId] of CELLS.entries()) {
    await db.insert(cells).values({ id: cellId, slug: `bench-${index}-${cellId.slice(0, 8)}`, name: `Cellule ${index}`, hostInstitution: 'Banc d’essai', dpoContact: 'dpo@bench.invalid' })
    await db.insert(cellCharters).values({ cellId, version: 1, content: DEFAULT_CHARTER, hash: 'f'.repeat(64) })
  }
  for (let i = 0; i < CLIENTS; i++) {
    const userId = randomUUID()
    await db.insert(users).values({
      id: userId,
      email: `membre-${i}@bench.invalid`,
      displayName: `Membre ${i}`,
      saltSeed: 'bench',
      kdfOpsLimit: 3,
      kdfMemLimitBytes: 67_108_864,
      authSecretHash: 'bench',
      recoverySecretHash: 'bench',
      wrappedAccountKey: 'bench',
      recoveryWrappedAccountKey: 'bench',
      identityPublic: 'bench',
      wrappedIdentitySecrets: 'bench',
    })
    for (const cellId of CELLS) {
      await db.insert(memberships).values({ cellId, userId, role: 'member', status: 'active' })
      await db.insert(charterSignatures).values({ cellId, userId, version: 1, hash: 'f'.repeat(64), signature: 'bench' })
      fixtures.push({ userId, cellId })
    }
  }
  return fixtures
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

  members = await createRouteFixtures(db)

  const measure = async (kind: Workload) => {
    workload = kind
    // Warm-up: connections opened, plans cached, tables touched.
    await runRound(db, { round: 0, kind: 'audited' })
    await runRound(db, { round: 0, kind: 'baseline' })
    const rounds: Round[] = []
    const lagsMs: number[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      const order: RoundKind[] = round % 2 === 1 ? ['baseline', 'audited'] : ['audited', 'baseline']
      for (const roundKind of order) {
        const { result, lagsMs: roundLags } = await runRound(db, { round, kind: roundKind })
        rounds.push(result)
        lagsMs.push(...roundLags)
        process.stdout.write(`${kind} round ${round} ${roundKind.padEnd(8)} ${result.txPerSecond} tx/s\n`)
      }
      // A checkpoint per round, so the export carries consistency proofs.
      await signCheckpointIfGrown(db, signer)
    }
    const baseline = median(rounds.filter((round) => round.kind === 'baseline').map((round) => round.txPerSecond))
    const audited = median(rounds.filter((round) => round.kind === 'audited').map((round) => round.txPerSecond))
    return { rounds, lagsMs, baseline, audited, ratio: Number((audited / baseline).toFixed(3)) }
  }
  const route = await measure('route')
  const bare = await measure('insert')
  const rounds = route.rounds
  const lagsMs = route.lagsMs

  await sequenceAll(db)
  await signCheckpointIfGrown(db, signer)
  const exported: unknown = JSON.parse(JSON.stringify(await exportAuditLog(db, signer)))
  const verifyStarted = performance.now()
  const verified = verifyExport({ file: exported, trustedPublicKey: signer.key.publicKey })
  const verifySeconds = (performance.now() - verifyStarted) / 1000
  if (!verified.ok) throw new Error(`the benchmark's export does not verify: ${verified.message}`)

  const core = measureVerifyThroughput({ leaves: CORE_LEAVES })

  const baselineTxPerSecond = route.baseline
  const auditedTxPerSecond = route.audited
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
    settings: { clients: CLIENTS, rounds: ROUNDS, roundSeconds: ROUND_MS / 1000, sequenceEveryMs: SEQUENCE_EVERY_MS, order: 'ABBA, medians' },
    baselineTxPerSecond,
    auditedTxPerSecond,
    appendRatio: route.ratio,
    goal: 0.8,
    appendRatioWorkload: 'route write path: guard decision transaction (4 reads + decision event) then the mutation transaction (1 insert + effect event), 16 clients, sequencer every 500 ms',
    bareInsert: {
      workload: 'one business insert per transaction, plus one event when audited: the worst case, where the audit is most of the work',
      baselineTxPerSecond: bare.baseline,
      auditedTxPerSecond: bare.audited,
      appendRatio: bare.ratio,
      rounds: bare.rounds,
    },
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
    `route write path: baseline ${baselineTxPerSecond} tx/s, audited ${auditedTxPerSecond} tx/s: appendRatio ${result.appendRatio} (goal ≥ ${result.goal})\n` +
      `bare insert: baseline ${bare.baseline} tx/s, audited ${bare.audited} tx/s: ratio ${bare.ratio}\n` +
      `verify: ${result.verifyPerSecond} entries/s on the database export (${verified.entries} entries), ${result.verifyPerSecondCore} entries/s in the core (${CORE_LEAVES} leaves)\n` +
      `sequencer lag: max ${result.sequencerLagMs} ms, p95 ${result.sequencerLagP95Ms} ms, median ${result.sequencerLagMedianMs} ms (every ${SEQUENCE_EVERY_MS} ms)\n` +
      'written to bench/results/audit-latest.json\n',
  )
} finally {
  await handle.close()
  await withAdmin(serverUrl, (admin) => admin.query(`drop database if exists ${databaseName} with (force)`))
}

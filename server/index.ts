import { existsSync, statSync, watch } from 'node:fs'
import { type Server } from 'node:http'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { broadcastDevReady, type ServerBuild } from '@remix-run/node'
import { loadAuditSigner, registerAuditSigner, startAuditLogService } from '#db/audit-store/service.ts'
import { ensureAppRole } from '#db/audit-store/privileges.ts'
import { registerDatabase, type DatabaseHandle } from '#db/database.ts'
import { DataDirLockedError } from '#db/lock.ts'
import { runMigrations } from '#db/migrate.ts'
import { openDatabase } from '#db/open.ts'
import { databaseIsEmpty } from '#db/seed.ts'
import { createApp } from './app.ts'
import { seedDemoData } from './demo-seed.ts'
import { auditKeyProblem, loadConfigOrExit } from './config.ts'
import { createLogger } from './logger.ts'

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const buildPath = path.join(projectRoot, 'build', 'index.js')

function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

const config = loadConfigOrExit()
const keyProblem = auditKeyProblem(config)
if (keyProblem) fail(keyProblem)
const logger = createLogger({ level: config.LOG_LEVEL })

if (!existsSync(buildPath)) {
  fail("L'application n'est pas construite : lancez « npm run build ». / The app is not built: run `npm run build`.")
}

let database: DatabaseHandle
let signerCreated = false
let signer: Awaited<ReturnType<typeof loadAuditSigner>>['signer']
try {
  if (config.databaseKind === 'postgres') {
    // Migrations and grants as the login role (unless the owner ran them: MIGRATE_ON_START=false);
    // then every connection runs as the app role.
    if (config.MIGRATE_ON_START === 'true') {
      const owner = await openDatabase({ kind: 'postgres', databaseUrl: config.DATABASE_URL as string, maxConnections: 1 })
      try {
        await runMigrations(owner)
        if (config.appRole) await ensureAppRole(owner.db, config.appRole)
      } finally {
        await owner.close()
      }
    }
    database = await openDatabase({ kind: 'postgres', databaseUrl: config.DATABASE_URL as string, appRole: config.appRole })
    await database.ping()
  } else {
    database = await openDatabase({ kind: 'pglite', dataDir: path.resolve(config.DATA_DIR) })
    await runMigrations(database)
  }
  // Development and the embedded database generate a key (with a warning); a production server must be given one.
  const keyFile = config.AUDIT_SIGNING_KEY_FILE ?? path.resolve(config.DATA_DIR, 'audit-signing-key.pem')
  ;({ signer, created: signerCreated } = await loadAuditSigner(database.db, { keyFile, allowCreate: !config.AUDIT_SIGNING_KEY_FILE, host: config.auditLogHost }))
  if (config.seedDemo && (await databaseIsEmpty(database.db))) {
    // Demo accounts have public passwords: only on the embedded database.
    const report = await seedDemoData(database.db, { accounts: database.kind === 'pglite' })
    logger.info({ created: report.created.map(item => item.replace(/ \(code de récupération.*\)$/, '')) }, 'demo data seeded')
  }
} catch (error) {
  if (error instanceof DataDirLockedError) fail(error.message)
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error)
  fail(`Base de données indisponible / database unavailable (${config.databaseKind}): ${detail}`)
}
registerDatabase(database)
registerAuditSigner(signer)
if (signerCreated || !config.AUDIT_SIGNING_KEY_FILE) {
  logger.warn(
    { keyFile: config.AUDIT_SIGNING_KEY_FILE ?? path.resolve(config.DATA_DIR, 'audit-signing-key.pem'), created: signerCreated },
    'audit log signing key kept next to the data (development or embedded database): set AUDIT_SIGNING_KEY_FILE to a key stored elsewhere in production',
  )
}
const auditService = startAuditLogService({ db: database.db, signer, logger, retentionMonths: config.AUDIT_RETENTION_MONTHS })

async function importBuild(): Promise<ServerBuild> {
  // A query string defeats Node's module cache so `npm run dev` picks up each rebuild.
  const version = statSync(buildPath).mtimeMs
  return (await import(`${pathToFileURL(buildPath).href}?v=${version}`)) as ServerBuild
}

const initialBuild = await importBuild()
const app = createApp({
  build: config.NODE_ENV === 'development' ? importBuild : initialBuild,
  config,
  logger,
  projectRoot,
})

const server: Server = app.listen(config.PORT, config.HOST, () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.PORT
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST
  const url = `http://${host}:${port}`
  logger.info({ url, database: database.kind }, 'listening')
  process.stdout.write(`Cellule est prête sur ${url} (base : ${database.kind}) / Cellule is listening on ${url}\n`)
  if (config.NODE_ENV === 'development') {
    void broadcastDevReady(initialBuild)
    // `remix dev --manual` waits to hear that each rebuild is being served.
    let debounce: NodeJS.Timeout | undefined
    watch(path.dirname(buildPath), () => {
      clearTimeout(debounce)
      debounce = setTimeout(() => void importBuild().then(broadcastDevReady), 200)
    })
  }
})

server.on('error', error => {
  const code = (error as NodeJS.ErrnoException).code
  const reason =
    code === 'EADDRINUSE'
      ? `le port ${config.PORT} est déjà utilisé (choisissez-en un autre avec PORT=…) / port ${config.PORT} is already in use`
      : code === 'EACCES'
        ? `accès refusé au port ${config.PORT} / permission denied for port ${config.PORT}`
        : error.message
  process.stderr.write(`Impossible d'écouter / cannot listen: ${reason}\n`)
  // Close the embedded database cleanly (and release its lock) before leaving.
  void auditService
    .stop({ drain: false })
    .then(() => database.close())
    .finally(() => process.exit(1))
})

let shuttingDown = false
async function shutdown(signal: string) {
  if (shuttingDown) return
  shuttingDown = true
  logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight')
  const forceTimer = setTimeout(() => {
    logger.warn('shutdown timeout reached: closing remaining connections')
    server.closeAllConnections()
  }, config.SHUTDOWN_TIMEOUT_MS)
  forceTimer.unref()
  await new Promise<void>(resolve => server.close(() => resolve()))
  clearTimeout(forceTimer)
  // Integrate and sign what the last requests queued, then close.
  await auditService.stop()
  // PGlite flushes its files on close; skipping this can lose the last writes.
  await database.close()
  registerDatabase(undefined)
  logger.info('stopped cleanly')
  process.exit(0)
}

process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))

import { existsSync, statSync, watch } from 'node:fs'
import { type Server } from 'node:http'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { broadcastDevReady, type ServerBuild } from '@remix-run/node'
import { sealTotpSecretsInClear, type TotpSecretsAtBoot } from '#db/accounts.ts'
import { loadAuditSigner, startAuditLogService } from '#db/journal/service.ts'
import { ensureAppRole } from '#db/journal/privileges.ts'
import { type DatabaseHandle } from '#db/database.ts'
import { DataDirLockedError } from '#db/lock.ts'
import { runMigrations } from '#db/migrate.ts'
import { openDatabase } from '#db/open.ts'
import { configuredTotpKeyFile, loadOrCreateTotpKey, TotpKeyError, type TotpKey } from '#db/totp-key.ts'
import { createApp } from './app.ts'
import { databaseIsEmpty } from './demo/cell.ts'
import { seedDemoData } from './demo/seed.ts'
import { auditKeyProblem, loadConfigOrExit, publicOriginProblem, totpKeyProblem, type Config } from './config.ts'
import { createLogger, type Logger } from './logger.ts'
import { createRuntime } from './runtime.ts'
import { drainAndClose } from './shutdown.ts'

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const buildPath = path.join(projectRoot, 'build', 'index.js')

function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

/** The checks that refuse to start before anything is opened. */
function loadConfig(): Config {
  const config = loadConfigOrExit()
  // For the whole process, before express and the build (React) are loaded: they read NODE_ENV, and
  // the development builds of both leak stacks and run slower. `npm start` exports it too.
  process.env.NODE_ENV = config.NODE_ENV
  const problem = auditKeyProblem(config) ?? totpKeyProblem(config) ?? publicOriginProblem(config)
  if (problem) fail(problem)
  return config
}

async function openConfiguredDatabase(config: Config): Promise<DatabaseHandle> {
  if (config.databaseKind === 'pglite') {
    const database = await openDatabase({ kind: 'pglite', dataDir: path.resolve(config.DATA_DIR) })
    await runMigrations(database)
    return database
  }
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
  const database = await openDatabase({ kind: 'postgres', databaseUrl: config.DATABASE_URL as string, appRole: config.appRole })
  await database.ping()
  return database
}

/** The database migrated, the journal's signer loaded, TOTP secrets sealed, demo data if asked; exits on failure. */
async function openState({ config, logger, totpKey }: { config: Config; logger: Logger; totpKey: TotpKey }) {
  let database: DatabaseHandle | undefined
  try {
    database = await openConfiguredDatabase(config)
    // Development and the embedded database generate a key (with a warning); a production server must be given one.
    const keyFile = config.AUDIT_SIGNING_KEY_FILE ?? path.resolve(config.DATA_DIR, 'audit-signing-key.pem')
    const { signer, created: signerCreated } = await loadAuditSigner(database.db, { keyFile, allowCreate: !config.AUDIT_SIGNING_KEY_FILE, host: config.auditLogHost })
    // Before the first request: no secret stays in clear, and a wrong key file stops here rather than at each login.
    const totpSecrets: TotpSecretsAtBoot = await sealTotpSecretsInClear(database.db, { key: totpKey })
    if (config.seedDemo && (await databaseIsEmpty(database.db))) {
      // Demo accounts have public passwords: only on the embedded database.
      const report = await seedDemoData(database.db, { accounts: database.kind === 'pglite' })
      logger.info({ created: report.created.map(item => item.replace(/ \(code de récupération.*\)$/, '')) }, 'demo data seeded')
    }
    return { database, signer, signerCreated, totpSecrets }
  } catch (error) {
    if (error instanceof DataDirLockedError) fail(error.message)
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error)
    fail(`Base de données indisponible / database unavailable (${config.databaseKind}): ${detail}`)
  }
}

async function importBuild(): Promise<ServerBuild> {
  // A query string defeats Node's module cache so `npm run dev` picks up each rebuild.
  const version = statSync(buildPath).mtimeMs
  return (await import(`${pathToFileURL(buildPath).href}?v=${version}`)) as ServerBuild
}

async function main() {
  const config = loadConfig()
  const logger = createLogger({ level: config.LOG_LEVEL })

  if (!existsSync(buildPath)) {
    fail("L'application n'est pas construite : lancez « npm run build ». / The app is not built: run `npm run build`.")
  }

  // The key sealing TOTP secrets, outside the database; generated only for development and the embedded database.
  const totpKeyFile = configuredTotpKeyFile(config)
  let totp: Awaited<ReturnType<typeof loadOrCreateTotpKey>>
  try {
    totp = await loadOrCreateTotpKey(totpKeyFile)
  } catch (error) {
    if (error instanceof TotpKeyError) fail(error.message)
    throw error
  }

  const { database, signer, signerCreated, totpSecrets } = await openState({ config, logger, totpKey: totp.key })
  if (totpSecrets.otherKeys.length > 0) {
    await database.close()
    const count = totpSecrets.otherKeys.reduce((total, entry) => total + entry.count, 0)
    const others = totpSecrets.otherKeys.map(entry => entry.keyId).join(', ')
    fail(
      `Clé TOTP inadaptée / wrong TOTP key: ${totpKeyFile.path} (clé ${totp.key.id}) n’ouvre pas ${count} secret(s) TOTP chiffré(s) par la clé ${others} : ` +
        'remettez la bonne clé (TOTP_KEY_FILE) ; si elle est perdue, npm run admin:reset -- --email … pour chaque compte concerné (docs/operations.md) / ' +
        `this key does not open ${count} TOTP secret(s) sealed by another key: restore the right TOTP_KEY_FILE, or if it is lost reset each account concerned`,
    )
  }
  const runtime = createRuntime({ config, logger, db: database, signer, totpKey: totp.key })
  if (totp.created || !config.TOTP_KEY_FILE) {
    logger.warn(
      { keyFile: totpKeyFile.path, created: totp.created },
      'TOTP key kept next to the data (development or embedded database): set TOTP_KEY_FILE to a key stored elsewhere in production',
    )
  }
  if (totpSecrets.sealed > 0) logger.info({ sealed: totpSecrets.sealed }, 'TOTP secrets found in clear sealed under the TOTP key')
  if (totpSecrets.unreadable.length > 0) {
    logger.warn({ userIds: totpSecrets.unreadable }, 'TOTP secrets the key cannot open (altered or copied between accounts): these accounts need npm run admin:reset')
  }
  if (signerCreated || !config.AUDIT_SIGNING_KEY_FILE) {
    logger.warn(
      { keyFile: config.AUDIT_SIGNING_KEY_FILE ?? path.resolve(config.DATA_DIR, 'audit-signing-key.pem'), created: signerCreated },
      'audit log signing key kept next to the data (development or embedded database): set AUDIT_SIGNING_KEY_FILE to a key stored elsewhere in production',
    )
  }
  if (!config.PUBLIC_ORIGIN) {
    logger.warn('PUBLIC_ORIGIN is not set: the cross-site check trusts the Host header; set PUBLIC_ORIGIN to the public https address when serving anything but localhost')
  }
  const auditService = startAuditLogService({ db: database.db, signer, logger, retentionMonths: config.AUDIT_RETENTION_MONTHS })

  const initialBuild = await importBuild()
  const app = createApp({ build: config.NODE_ENV === 'development' ? importBuild : initialBuild, runtime, projectRoot })

  const server: Server = app.listen(config.PORT, config.HOST, () => {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : config.PORT
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST
    const url = `http://${host}:${port}`
    logger.info({ url, database: database.kind, nodeEnv: process.env.NODE_ENV, expressEnv: app.get('env') as string }, 'listening')
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
    // Integrate and sign what the last requests queued, then close; a failure of either exits 1.
    const exitCode = await drainAndClose({ journal: auditService, database, logger })
    process.exit(exitCode)
  }

  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

await main()

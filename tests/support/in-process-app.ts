import { randomBytes } from 'node:crypto'
import { type Server } from 'node:http'
import { type AddressInfo } from 'node:net'
import path from 'node:path'
import { Writable } from 'node:stream'
import { type ServerBuild } from '@remix-run/node'
import { pino } from 'pino'
import { logOrigin } from '#journal/checkpoint.ts'
import { generateSigningKey } from '#journal/keys.ts'
import { type LogSigner } from '#db/journal/checkpoints.ts'
import { totpKeyFromBytes, type TotpKey } from '#db/totp-key.ts'
import { type Runtime } from '#app/runtime.server.ts'
import { createApp } from '#server/app.ts'
import { parseConfig, type Config } from '#server/config.ts'
import { seedDemo } from '#server/demo/cell.ts'
import { createRuntime } from '#server/runtime.ts'
import { projectRoot } from './app-process.ts'
import { createTestDatabase, type TestDatabase } from './test-database.ts'

export type InProcessApp = {
  url: string
  database: TestDatabase
  /**
   * What every request receives as `context.runtime`, built by the server's own `createRuntime()`.
   * A test may swap one of its fields for a while (a counting database, a wrong key) and put it back.
   */
  runtime: Runtime<Config>
  /** The journal's signing key and origin, as the server loads them at boot. */
  signer: LogSigner
  /** The key sealing TOTP secrets, as server/index.ts loads it (fixtures seal with it too). */
  totpKey: TotpKey
  /** Everything the server logged, as JSON lines. */
  logs: () => string
  close: () => Promise<void>
}

/**
 * The built app served in this process on a free port, over a fresh database the test can also
 * query directly (real HTTP, real database, real Remix build). `besides`: a second process of the
 * same deployment (one database, the same key files), as behind a load balancer.
 */
export async function startInProcessApp({ besides }: { besides?: InProcessApp } = {}): Promise<InProcessApp> {
  const shared = besides?.database
  const database = shared ?? (await createTestDatabase())
  if (!shared) await seedDemo(database.handle.db)
  // The real server runs the sequencer on a timer; tests call sequenceAll() when they need leaves.
  const signer: LogSigner = besides?.signer ?? { key: generateSigningKey(), origin: logOrigin('test.cellule.local') }
  const totpKey = besides?.totpKey ?? (await totpKeyFromBytes(randomBytes(32)))
  let logs = ''
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs += String(chunk)
      done()
    },
  })
  const logger = pino({ level: 'info', base: { service: 'cellule' } }, sink)
  const runtime = createRuntime({ config: parseConfig({ NODE_ENV: 'production' }), logger, db: database.handle, signer, totpKey })
  const build = (await import(path.join(projectRoot, 'build', 'index.js'))) as ServerBuild
  const app = createApp({ build, runtime, projectRoot })
  const server: Server = await new Promise(resolve => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    database,
    runtime,
    signer,
    totpKey,
    logs: () => logs,
    close: async () => {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
      // A shared database belongs to whoever created it.
      if (!shared) await database.cleanup()
    },
  }
}

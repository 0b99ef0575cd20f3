import { randomBytes } from 'node:crypto'
import { type Server } from 'node:http'
import { type AddressInfo } from 'node:net'
import path from 'node:path'
import { Writable } from 'node:stream'
import { type ServerBuild } from '@remix-run/node'
import { pino } from 'pino'
import { logOrigin } from '#journal/checkpoint.ts'
import { generateSigningKey } from '#journal/keys.ts'
import { registerAuditSigner } from '#db/journal/service.ts'
import { type LogSigner } from '#db/journal/checkpoints.ts'
import { registerDatabase } from '#db/database.ts'
import { seedDemo } from '#server/demo/cell.ts'
import { registerTotpKey, totpKeyFromBytes, type TotpKey } from '#db/totp-key.ts'
import { createApp } from '#server/app.ts'
import { parseConfig } from '#server/config.ts'
import { projectRoot } from './app-process.ts'
import { createTestDatabase, type TestDatabase } from './test-database.ts'

export type InProcessApp = {
  url: string
  database: TestDatabase
  /** The journal's signing key and origin, as the server registers them at boot. */
  signer: LogSigner
  /** The key sealing TOTP secrets, registered as server/index.ts does (fixtures seal with it too). */
  totpKey: TotpKey
  /** Everything the server logged, as JSON lines. */
  logs: () => string
  close: () => Promise<void>
}

/**
 * The built app served in this process on a free port, over a fresh database the test can also
 * query directly (real HTTP, real database, real Remix build).
 */
export async function startInProcessApp(): Promise<InProcessApp> {
  const database = await createTestDatabase()
  await seedDemo(database.handle.db)
  registerDatabase(database.handle)
  // The real server runs the sequencer on a timer; tests call sequenceAll() when they need leaves.
  const signer: LogSigner = { key: generateSigningKey(), origin: logOrigin('test.cellule.local') }
  registerAuditSigner(signer)
  const totpKey = await totpKeyFromBytes(randomBytes(32))
  registerTotpKey(totpKey)
  ;(globalThis as { __celluleThrottles?: unknown }).__celluleThrottles = undefined
  let logs = ''
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs += String(chunk)
      done()
    },
  })
  const logger = pino({ level: 'info', base: { service: 'cellule' } }, sink)
  const build = (await import(path.join(projectRoot, 'build', 'index.js'))) as ServerBuild
  const app = createApp({ build, config: parseConfig({ NODE_ENV: 'production' }), logger, projectRoot })
  const server: Server = await new Promise(resolve => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    database,
    signer,
    totpKey,
    logs: () => logs,
    close: async () => {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
      registerDatabase(undefined)
      registerAuditSigner(undefined)
      registerTotpKey(undefined)
      await database.cleanup()
    },
  }
}

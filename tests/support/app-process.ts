import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateSigningKey, signingKeyToPem } from '#journal/keys.ts'
import { createServerDatabase, serverUrl } from './test-database.ts'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export type Env = Record<string, string | undefined>

/** A port the system says is free now (listen on 0, read it, close). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

export type RunningApp = {
  url: string
  dataDir: string
  databaseUrl?: string
  output: () => string
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop: () => Promise<number | null>
  /** Stops the process and removes its database. */
  dispose: () => Promise<void>
}

type ProcessResult = { code: number | null; stdout: string; stderr: string }

export function runServerProcess({ env, timeoutMs = 60_000 }: { env: Env; timeoutMs?: number }) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', NODE_ENV: 'production', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', chunk => (stdout += String(chunk)))
  child.stderr?.on('data', chunk => (stderr += String(chunk)))
  const exited = new Promise<ProcessResult>(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
  return { child, exited, output: () => stdout + stderr }
}

function waitForUrl(child: ChildProcess, output: () => string, exited: Promise<ProcessResult>): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = /Cellule est prête sur (http:\/\/\S+)/.exec(output())
      if (match?.[1]) {
        child.stdout?.off('data', check)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', check)
    void exited.then(result => reject(new Error(`app exited with ${result.code} before listening:\n${output()}`)))
  })
}

/** Starts the built app on a free port with its own database (PGlite data dir, or a fresh server database). */
export async function startApp({ env = {}, dataDir }: { env?: Env; dataDir?: string } = {}): Promise<RunningApp> {
  const ownDataDir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'cellule-app-'))
  const serverDatabase = serverUrl && !env.DATABASE_URL ? await createServerDatabase() : undefined
  const databaseEnv = serverDatabase ? { DATABASE_URL: serverDatabase.url, SEED_DEMO: 'true' } : {}
  // A production server refuses to start without the journal's signing key: give it one, outside the database.
  const keyEnv: Env = {}
  if ((databaseEnv.DATABASE_URL ?? env.DATABASE_URL) && !env.AUDIT_SIGNING_KEY_FILE) {
    keyEnv.AUDIT_SIGNING_KEY_FILE = path.join(ownDataDir, 'audit-signing-key.pem')
    if (!existsSync(keyEnv.AUDIT_SIGNING_KEY_FILE)) writeFileSync(keyEnv.AUDIT_SIGNING_KEY_FILE, signingKeyToPem(generateSigningKey()), { mode: 0o600 })
  }
  // The same for the key sealing TOTP secrets.
  if ((databaseEnv.DATABASE_URL ?? env.DATABASE_URL) && !env.TOTP_KEY_FILE) {
    keyEnv.TOTP_KEY_FILE = path.join(ownDataDir, 'totp-key')
    if (!existsSync(keyEnv.TOTP_KEY_FILE)) writeFileSync(keyEnv.TOTP_KEY_FILE, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  }
  // …and its public origin (the tests' requests carry no Origin header unless they test the check).
  // A free port chosen first, so that the origin the server is told is the one it serves.
  if ((databaseEnv.DATABASE_URL ?? env.DATABASE_URL) && !env.PUBLIC_ORIGIN) {
    const port = env.PORT && env.PORT !== '0' ? env.PORT : String(await freePort())
    keyEnv.PORT = port
    keyEnv.PUBLIC_ORIGIN = `http://127.0.0.1:${port}`
  }
  const { child, exited, output } = runServerProcess({ env: { DATA_DIR: ownDataDir, ...databaseEnv, ...keyEnv, ...env } })
  const url = await waitForUrl(child, output, exited)
  let stopped: Promise<number | null> | undefined
  const stop = () => {
    stopped ??= (child.kill('SIGTERM'), exited.then(result => result.code))
    return stopped
  }
  return {
    url,
    dataDir: ownDataDir,
    databaseUrl: serverDatabase?.url ?? env.DATABASE_URL,
    output,
    stop,
    dispose: async () => {
      await stop()
      await serverDatabase?.drop()
      if (!dataDir) rmSync(ownDataDir, { recursive: true, force: true })
    },
  }
}

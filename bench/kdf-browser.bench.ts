/**
 * npm run bench:kdf — Argon2id (t=3) at 64, 96, 128 and 256 MiB in this machine's headless Chromium,
 * inside the very Web Worker the login page uses (app/auth/kdf.worker.ts, bundled as by the build).
 * Each run spawns a worker, derives once and terminates it, as the page does. Reports medians and
 * spread, and each figure as a ratio to the 64 MiB baseline measured in the same run. Not a test:
 * it reports, it does not fail on a budget (decision 021 reads these figures).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { bundleWorker } from '#tools/build-workers.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'

const MIB = 1024 * 1024
const MEMORY_MIB = [64, 96, 128, 256] as const
const OPS_LIMIT = 3
const RUNS = Number(process.env.KDF_BENCH_RUNS ?? 7)
const ORIGIN = 'http://kdf-bench.localhost'

type Mode = 'cold' | 'prespawned'
type Run = { memMiB: number; mode: Mode; totalMs: number; readyMs: number; derivedMs: number }

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  return { median: at(0.5), min: sorted[0] as number, max: sorted.at(-1) as number, p90: at(0.9) }
}

if (!chromiumAvailable()) {
  process.stdout.write('Chromium introuvable : banc KDF navigateur ignoré.\n')
  process.exit(0)
}

const worker = await bundleWorker('kdf')
const browser = await launchChromium()
let runs: Run[] = []
let userAgent = ''
let deviceMemory: number | null = null
try {
  const page = await browser.newPage()
  await page.route(`${ORIGIN}/**`, route => {
    const url = new URL(route.request().url())
    if (url.pathname === '/workers/kdf.js') return route.fulfill({ status: 200, contentType: 'text/javascript', body: worker })
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html lang="fr"><head><title>banc KDF</title></head><body></body></html>' })
  })
  // tsx keeps function names with a __name helper that the page does not have.
  await page.addInitScript('globalThis.__name = fn => fn')
  await page.goto(`${ORIGIN}/`)
  ;({ userAgent, deviceMemory } = await page.evaluate(() => ({
    userAgent: navigator.userAgent,
    deviceMemory: (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? null,
  })))
  // Interleaved (64, 128, 256, 64, …) so that drift in the machine's load spreads over every size.
  const schedule = Array.from({ length: RUNS + 1 }, () => MEMORY_MIB.map(memMiB => memMiB)).flat()
  const measured = await page.evaluate(
    async ({ schedule, opsLimit, mib }) => {
      const saltSeed = 'A'.repeat(42) + 'A'
      const out: { memMiB: number; mode: 'cold' | 'prespawned'; totalMs: number; readyMs: number; derivedMs: number }[] = []
      for (const memMiB of schedule) {
        for (const mode of ['cold', 'prespawned'] as const) {
          const spawned = performance.now()
          const worker = new Worker('/workers/kdf.js')
          const replies: { type: string; ok?: boolean; timings?: { readyMs: number; derivedMs: number }; message?: string }[] = []
          let wake: () => void = () => undefined
          worker.onmessage = event => {
            replies.push(event.data)
            wake()
          }
          const next = (type: string) =>
            new Promise<(typeof replies)[number]>(resolve => {
              const look = () => {
                const found = replies.find(reply => reply.type === type)
                if (found) resolve(found)
                else wake = look
              }
              look()
            })
          // The login page spawns its worker when the form shows: by the submit, the worker is ready.
          if (mode === 'prespawned') await next('ready')
          const started = performance.now()
          worker.postMessage({ email: 'banc@exemple.fr', password: 'banc-de-mesure-du-kdf', kdfParams: { algorithm: 'argon2id13', opsLimit, memLimitBytes: memMiB * mib, saltSeed } })
          const reply = await next('derived')
          const totalMs = performance.now() - started
          worker.terminate()
          if (!reply.ok || !reply.timings) throw new Error(`derivation at ${memMiB} MiB failed: ${reply.message}`)
          out.push({ memMiB, mode, totalMs, readyMs: started - spawned, derivedMs: reply.timings.derivedMs })
        }
      }
      return out
    },
    { schedule, opsLimit: OPS_LIMIT, mib: MIB },
  )
  // The first round warms the browser's caches (the worker script, WebAssembly compilation): dropped.
  runs = measured.slice(MEMORY_MIB.length * 2)
} finally {
  await browser.close()
}

function summarise(mode: Mode) {
  const ofMode = runs.filter(run => run.mode === mode)
  const baseline = stats(ofMode.filter(run => run.memMiB === 64).map(run => run.totalMs)).median
  return MEMORY_MIB.map(memMiB => {
    const mine = ofMode.filter(run => run.memMiB === memMiB)
    const total = stats(mine.map(run => run.totalMs))
    return {
      memMiB,
      opsLimit: OPS_LIMIT,
      runs: mine.length,
      totalMs: total,
      derivationInWorkerMs: stats(mine.map(run => run.derivedMs)),
      ratioToBaseline: total.median / baseline,
    }
  })
}

const result = {
  generatedAt: new Date().toISOString(),
  environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', userAgent, deviceMemory },
  method: 'headless Chromium, one Web Worker per derivation (then terminated), sizes and modes interleaved, first round dropped',
  baseline: '64 MiB, t=3, same mode, same run',
  budget: 'login KDF <= 1000 ms in Chromium (DESIGN §13); reported, not asserted',
  modes: {
    cold: 'worker spawned at submit: totalMs = script load + WebAssembly compile + Argon2id',
    prespawned: 'worker spawned when the form shows (what the app does): totalMs = post to reply, Argon2id only',
  },
  cold: summarise('cold'),
  prespawned: summarise('prespawned'),
}

const json = `${JSON.stringify(result, null, 2)}\n`
const directory = new URL('./results/', import.meta.url)
mkdirSync(directory, { recursive: true })
writeFileSync(new URL('kdf-browser-latest.json', directory), json)
writeFileSync(new URL(`kdf-browser-${result.generatedAt.slice(0, 10)}.json`, directory), json)
process.stdout.write(json)

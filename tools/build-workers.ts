/**
 * Builds the Web Workers the classic Remix compiler cannot emit (decision 021): each entry is bundled
 * by esbuild into public/workers/<name>.js, which express.static serves with a short cache. The page
 * asks for it with the Remix build version in the query, so a new deploy never runs an old worker.
 * `npm run build` runs this after `remix build`; the KDF bench bundles the same entry in memory.
 */
import { fileURLToPath } from 'node:url'
import { build, type BuildOptions } from 'esbuild'

const repositoryRoot = fileURLToPath(new URL('../', import.meta.url))

export const WORKER_ENTRIES = { kdf: 'app/auth/kdf.worker.ts' } as const
export type WorkerName = keyof typeof WORKER_ENTRIES

const options: BuildOptions = {
  absWorkingDir: repositoryRoot,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome110',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
}

/** One worker as source text, for a page that serves it itself (the bench). */
export async function bundleWorker(name: WorkerName): Promise<string> {
  const result = await build({ ...options, entryPoints: [WORKER_ENTRIES[name]], write: false })
  const output = result.outputFiles?.[0]
  if (!output) throw new Error(`esbuild produced no output for worker ${name}`)
  return output.text
}

export async function buildWorkers({ outputDirectory = 'public/workers' }: { outputDirectory?: string } = {}) {
  await build({ ...options, entryPoints: WORKER_ENTRIES, outdir: outputDirectory })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildWorkers()

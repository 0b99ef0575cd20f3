import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))

/** Bundles a small ESM entry (source text, resolved from the repository root) for Chromium. */
export async function bundleForBrowser(entrySource: string): Promise<string> {
  const result = await build({
    stdin: { contents: entrySource, resolveDir: repositoryRoot, loader: 'ts', sourcefile: 'browser-entry.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error('esbuild produced no output')
  return output.text
}

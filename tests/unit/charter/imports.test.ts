import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const CHARTER_DIR = join(import.meta.dirname, '../../../charter')
const files = readdirSync(CHARTER_DIR).filter(name => name.endsWith('.ts'))

describe('charter/ is universal and framework-free (DESIGN §3)', () => {
  it.each(files)('%s imports only zod and its own files, with .ts extensions', name => {
    const source = readFileSync(join(CHARTER_DIR, name), 'utf8')
    const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map(match => match[1])
    for (const specifier of specifiers) expect(specifier, name).toMatch(/^(zod|\.\/[a-z-]+\.ts)$/)
    if (name === 'policy.ts') expect(specifiers).toContain('./actions.ts')
  })

  it.each(files)('%s uses no Node-only global', name => {
    const source = readFileSync(join(CHARTER_DIR, name), 'utf8')
    expect(source, name).not.toMatch(/\b(process\.|Buffer\b|require\(|__dirname|node:)/)
  })

  it('bundles for the browser with nothing from Node', async () => {
    const result = await build({
      entryPoints: [join(CHARTER_DIR, 'index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome110',
      write: false,
      logLevel: 'silent',
    })
    const text = result.outputFiles[0]?.text ?? ''
    expect(text).toContain('cellule/charter-signature/v1')
    expect(text).not.toMatch(/from ["']node:/)
  })
})

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const JOURNAL_DIR = join(import.meta.dirname, '../../../journal')
const files = readdirSync(JOURNAL_DIR).filter((name) => name.endsWith('.ts'))

describe('journal/ is the database-free core (decision 017)', () => {
  it.each(files)('%s imports only node:crypto and friends, zod, its own files and the canonical JSON of charter/', (name) => {
    const source = readFileSync(join(JOURNAL_DIR, name), 'utf8')
    const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map((match) => match[1])
    for (const specifier of specifiers) expect(specifier, name).toMatch(/^(node:(crypto|fs|path|perf_hooks)|zod|\.\/[a-z-]+\.ts|#charter\/canonical-json\.ts)$/)
  })

  it('actions.ts, which the console imports in the browser, imports zod only and uses no Node global', () => {
    const source = readFileSync(join(JOURNAL_DIR, 'actions.ts'), 'utf8')
    expect([...source.matchAll(/from\s+'([^']+)'/g)].map((match) => match[1])).toEqual(['zod'])
    expect(source).not.toMatch(/\b(Buffer|process)\./)
  })
})

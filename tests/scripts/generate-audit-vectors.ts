/**
 * Writes tests/fixtures/audit-log-vectors.json. Run once per format version and commit the
 * result: tests compare against the committed file and never regenerate it.
 * Usage: node --import tsx tests/scripts/generate-audit-vectors.ts [--force]
 */
import { existsSync, writeFileSync } from 'node:fs'
import { generateAuditVectors, serializeVectors } from '../unit/journal/vector-cases.ts'

const target = new URL('../fixtures/audit-log-vectors.json', import.meta.url)
if (existsSync(target) && !process.argv.includes('--force')) {
  process.stderr.write('audit-log-vectors.json exists; a format change needs a new version, or pass --force deliberately.\n')
  process.exit(1)
}
const vectors = generateAuditVectors()
writeFileSync(target, serializeVectors(vectors))
process.stdout.write(`wrote ${vectors.leaves.length} leaves, ${vectors.tree.roots.length} roots, ${vectors.checkpoints.length} checkpoints and 2 exports to ${target.pathname}\n`)

/**
 * Writes tests/fixtures/crypto-vectors.json. Run once per format version and commit the
 * result: tests compare against the committed file and never regenerate it.
 * Usage: node --import tsx tests/scripts/generate-crypto-vectors.ts [--force]
 */
import { existsSync, writeFileSync } from 'node:fs'
import { generateVectors } from '../unit/crypto/vector-cases.ts'

const target = new URL('../fixtures/crypto-vectors.json', import.meta.url)
if (existsSync(target) && !process.argv.includes('--force')) {
  process.stderr.write('crypto-vectors.json exists; a format change needs a new version, or pass --force deliberately.\n')
  process.exit(1)
}
const file = await generateVectors()
writeFileSync(target, `${JSON.stringify(file, null, 2)}\n`)
process.stdout.write(`wrote ${Object.keys(file.vectors).length} vectors to ${target.pathname}\n`)

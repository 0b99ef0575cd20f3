/**
 * Offline verifier for an audit-log export (journal/README.md).
 * Usage: node --import tsx scripts/audit-verify.ts FILE [--public-key BASE64 | --public-key-file PEM] [--known CHECKPOINT_FILE]
 * Exit codes: 0 intact, 1 tampered (first problem on stderr; a duplicate JSON key or an export claiming another version is one),
 * 2 unreadable file (missing, not JSON, truncated) or usage.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { publicKeyFromBase64, verifyExportText } from '#journal/index.ts'

const USAGE =
  'Usage : audit-verify FICHIER [--public-key BASE64 | --public-key-file PEM] [--known CHECKPOINT]\n' +
  'Usage: audit-verify FILE [--public-key BASE64 | --public-key-file PEM] [--known CHECKPOINT]'

function exit(code: 0 | 1 | 2, message: string): never {
  ;(code === 0 ? process.stdout : process.stderr).write(`${message}\n`)
  process.exit(code)
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error)
    return exit(2, `${what} illisible : ${file} (${reason}) / unreadable ${what === 'export' ? 'export' : 'file'}: ${file}`)
  }
}

function trustedKey(values: { 'public-key'?: string; 'public-key-file'?: string }): KeyObject | undefined {
  try {
    if (values['public-key'] !== undefined) return publicKeyFromBase64(values['public-key'])
    if (values['public-key-file'] !== undefined) {
      // A private key PEM is accepted too: its public half is what gets pinned.
      const key = createPublicKey(readText(values['public-key-file'], 'clé publique'))
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519')
      return key
    }
    return undefined
  } catch {
    return exit(2, 'clé publique de confiance invalide (Ed25519 attendue) / invalid trusted public key (Ed25519 expected)')
  }
}

let parsed: ReturnType<typeof parse>
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: { 'public-key': { type: 'string' }, 'public-key-file': { type: 'string' }, known: { type: 'string' } },
  })
}
try {
  parsed = parse()
} catch (error) {
  exit(2, `${error instanceof Error ? error.message : String(error)}\n${USAGE}`)
}
const { positionals, values } = parsed
const file = positionals[0]
if (!file || positionals.length > 1) exit(2, USAGE)
if (values['public-key'] !== undefined && values['public-key-file'] !== undefined) exit(2, USAGE)

const trustedPublicKey = trustedKey(values)
const knownCheckpoint = values.known === undefined ? undefined : readText(values.known, 'checkpoint')
const text = readText(file, 'export')

const result = verifyExportText({ text, ...(trustedPublicKey ? { trustedPublicKey } : {}), ...(knownCheckpoint === undefined ? {} : { knownCheckpoint }) })
if (!result.ok) exit(result.kind === 'unreadable' ? 2 : 1, result.message)
for (const warning of result.warnings) process.stderr.write(`attention / warning : ${warning}\n`)
exit(
  0,
  `Journal intact : ${result.entries} entrées (${result.scope === 'full' ? 'export complet' : 'export de cellule'}), ${result.checkpoints} checkpoints, ` +
    `taille ${result.treeSize}, racine ${result.root}, ${result.detailsChecked} détails vérifiés, ${result.withoutDetail} sans détail (purgés) / ` +
    `log intact: ${result.entries} entries, ${result.checkpoints} checkpoints, size ${result.treeSize}`,
)

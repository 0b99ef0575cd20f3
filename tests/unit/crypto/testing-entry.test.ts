import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { initCrypto } from '#crypto/index.ts'
import { wrapKey } from '#crypto/key-wrap.ts'
import { generateBoxKeyPair, randomKey } from '#crypto/primitives.ts'
import { withDeterministicRandomness } from '#crypto/testing.ts'
import { ESLint } from 'eslint'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectCryptoError } from './helpers.ts'

const root = path.resolve(import.meta.dirname, '../../..')
/** Where deterministic randomness must never reach (crypto/ itself included, bar testing.ts). */
const PRODUCTION_FOLDERS = ['app', 'db', 'server', 'scripts', 'charter', 'journal', 'crypto']

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx|js|mjs)$/.test(entry.name))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
}

beforeAll(async () => {
  await initCrypto()
})

describe('crypto/testing.ts stays test-only', () => {
  it('no production file imports it, nor the randomness hook behind it', () => {
    const offenders: string[] = []
    for (const folder of PRODUCTION_FOLDERS) {
      for (const file of sourceFiles(folder)) {
        if (file === path.join('crypto', 'testing.ts')) continue
        const text = readFileSync(path.join(root, file), 'utf8')
        const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1] ?? '')
        if (specifiers.some((specifier) => /(^|\/)testing(\.ts)?$/.test(specifier) && (specifier.includes('crypto/') || file.startsWith('crypto')))) offenders.push(file)
        if (file !== path.join('crypto', 'primitives.ts') && text.includes('__swapRandomSourceForTesting')) offenders.push(file)
      }
    }
    expect(offenders).toEqual([])
  })

  it('the lint rule that gates it exists for every production folder', async () => {
    const eslint = new ESLint({ cwd: root })
    const probes: { filePath: string; text: string }[] = [
      ...PRODUCTION_FOLDERS.filter((folder) => folder !== 'crypto').flatMap((folder) => [
        { filePath: `${folder}/probe.ts`, text: "import { withDeterministicRandomness } from '#crypto/testing.ts'\nexport const probe = withDeterministicRandomness\n" },
        { filePath: `${folder}/nested/probe.ts`, text: "import { withDeterministicRandomness } from '../../crypto/testing.ts'\nexport const probe = withDeterministicRandomness\n" },
        { filePath: `${folder}/hook.ts`, text: "import { __swapRandomSourceForTesting } from '#crypto/primitives.ts'\nexport const probe = __swapRandomSourceForTesting\n" },
      ]),
      { filePath: 'crypto/probe.ts', text: "import { withDeterministicRandomness } from './testing.ts'\nexport const probe = withDeterministicRandomness\n" },
      { filePath: 'crypto/hook.ts', text: "import { __swapRandomSourceForTesting } from './primitives.ts'\nexport const probe = __swapRandomSourceForTesting\n" },
    ]
    for (const probe of probes) {
      const [result] = await eslint.lintText(probe.text, { filePath: path.join(root, probe.filePath) })
      expect(result?.messages.map((message) => message.ruleId), probe.filePath).toContain('no-restricted-imports')
    }
    // Tests may use it; testing.ts itself may use the hook.
    const allowed = [
      { filePath: 'tests/unit/probe.ts', text: "import { withDeterministicRandomness } from '#crypto/testing.ts'\nexport const probe = withDeterministicRandomness\n" },
      { filePath: 'crypto/testing.ts', text: "import { __swapRandomSourceForTesting } from './primitives.ts'\nexport const probe = __swapRandomSourceForTesting\n" },
    ]
    for (const probe of allowed) {
      const [result] = await eslint.lintText(probe.text, { filePath: path.join(root, probe.filePath) })
      expect(result?.messages.filter((message) => message.ruleId === 'no-restricted-imports'), probe.filePath).toEqual([])
    }
  }, 60_000)

  it('draws the same keys, nonces and key pairs for the same seed, and restores the system source after', () => {
    const draw = () => ({
      key: randomKey(),
      pair: generateBoxKeyPair().publicKey,
      wrap: wrapKey({ key: new Uint8Array(32), wrappingKey: new Uint8Array(32).fill(1), purpose: 'note_key', context: ['x'] }),
    })
    const first = withDeterministicRandomness('seed-a', draw)
    expect(withDeterministicRandomness('seed-a', draw)).toEqual(first)
    expect(withDeterministicRandomness('seed-b', draw).key).not.toEqual(first.key)
    expect(randomKey()).not.toEqual(first.key)
    expect(randomKey()).not.toEqual(randomKey())
    // Restored even when fn throws; an async fn is refused (its awaits would run on the fixed stream).
    expect(() => withDeterministicRandomness('seed-a', () => { throw new Error('boom') })).toThrow('boom')
    expect(randomKey()).not.toEqual(first.key)
    expectCryptoError(() => withDeterministicRandomness('seed-a', async () => randomKey()), 'invalid_input')
    expect(randomKey()).not.toEqual(first.key)
  })
})

import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/**
 * The direction of DESIGN §3, shown in the editor; tests/unit/architecture/imports.test.ts is the
 * complete check (every file, relative paths resolved, cycles). A regex, not a gitignore pattern:
 * there a leading `#` starts a comment, and `#app/*` would match nothing.
 */
const OURS = ['app', 'db', 'crypto', 'charter', 'journal', 'server', 'scripts', 'bench', 'tools', 'tests']
function boundary(files, { allowed, message, extra = [] }) {
  const forbidden = OURS.filter(folder => !allowed.includes(folder)).join('|')
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            // An alias, or a relative path climbing into another top-level folder.
            { regex: `^(#|(\\.\\./)+)(${forbidden})/`, message },
            ...extra,
          ],
        },
      ],
    },
  }
}
/**
 * crypto/testing.ts makes randomness deterministic for golden vectors: the app, the servers,
 * the scripts and the library itself never import it (tests/unit/crypto/testing-entry.test.ts
 * proves the rule is here), nor the hook it uses in primitives.ts.
 */
const TESTING_ENTRY_MESSAGE = 'crypto/testing.ts is test-only (deterministic randomness, golden vectors): never imported outside tests/.'
const testingEntry = (regex) => [
  { regex, message: TESTING_ENTRY_MESSAGE },
  { regex: '(^#crypto/|^(\\.\\./)+crypto/|^\\./)primitives(\\.ts)?$', importNames: ['__swapRandomSourceForTesting'], message: TESTING_ENTRY_MESSAGE },
]
const TESTING_OUTSIDE_CRYPTO = testingEntry('^(#crypto/|(\\.\\./)+crypto/)testing(\\.ts)?$')
const TESTING_INSIDE_CRYPTO = testingEntry('^(#crypto/|\\./)testing(\\.ts)?$')
const CRYPTO_FRAMEWORK_FREE = { group: ['@remix-run/*', 'drizzle-orm*'], message: 'crypto/ is framework-free.' }

const boundaries = [
  boundary(['crypto/**'], { allowed: ['crypto'], message: 'crypto/ depends on nothing of ours (DESIGN §3).', extra: [CRYPTO_FRAMEWORK_FREE, ...TESTING_INSIDE_CRYPTO] }),
  // The one module allowed to use the randomness hook (flat config: this entry replaces the one above for it).
  boundary(['crypto/testing.ts'], { allowed: ['crypto'], message: 'crypto/ depends on nothing of ours (DESIGN §3).', extra: [CRYPTO_FRAMEWORK_FREE] }),
  boundary(['charter/**'], { allowed: ['charter'], message: 'charter/ depends on nothing of ours (DESIGN §3).', extra: [{ group: ['@remix-run/*', 'drizzle-orm*'], message: 'charter/ is framework-free.' }, ...TESTING_OUTSIDE_CRYPTO] }),
  boundary(['journal/**'], { allowed: ['journal', 'charter'], message: 'journal/ is the database-free core: node:crypto, zod and charter/ only (docs/decisions/017-journal-module.md).', extra: [{ group: ['@remix-run/*', 'drizzle-orm*', 'pg', '@electric-sql/*'], message: 'journal/ is database-free.' }, ...TESTING_OUTSIDE_CRYPTO] }),
  boundary(['db/**'], { allowed: ['db', 'crypto', 'charter', 'journal'], message: 'db/ imports only crypto/, charter/ and the journal core: app/, server/ and scripts/ consume it (DESIGN §3).', extra: TESTING_OUTSIDE_CRYPTO }),
  boundary(['app/**'], { allowed: ['app', 'db', 'crypto', 'charter', 'journal'], message: 'app/ never imports server/, scripts/, bench/, tools/ or tests/ (DESIGN §3).', extra: TESTING_OUTSIDE_CRYPTO }),
  boundary(['server/**'], { allowed: ['server', 'app', 'db', 'crypto', 'charter', 'journal'], message: 'server/ never imports scripts/, bench/, tools/ or tests/ (DESIGN §3).', extra: TESTING_OUTSIDE_CRYPTO }),
  boundary(['scripts/**'], { allowed: ['scripts', 'server', 'db', 'crypto', 'charter', 'journal'], message: 'scripts/ uses server/ and db/, never app/ directly, bench/, tools/ or tests/ (DESIGN §3).', extra: TESTING_OUTSIDE_CRYPTO }),
  boundary(['bench/**'], { allowed: ['bench', 'app', 'server', 'db', 'crypto', 'charter', 'journal', 'tools'], message: 'bench/ never imports tests/ (shared helpers live in tools/) nor scripts/ (importing a command runs it).' }),
  boundary(['tools/**'], { allowed: ['tools'], message: 'tools/ is shared by tests/ and bench/ and depends on nothing of ours.' }),
]

export default tseslint.config(
  { ignores: ['build/**', 'public/build/**', 'public/workers/**', 'node_modules/**', '.data/**', 'db/migrations/**', 'bench/results/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...boundaries,
)

import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['build/**', 'public/build/**', 'node_modules/**', '.data/**', 'db/migrations/**', 'bench/results/**', '.cache/**'] },
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
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['#tests/*'], message: 'Product code never imports test files.' }] },
      ],
    },
  },
  {
    files: ['crypto/**', 'charter/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['#app/*', '#db/*', '#journal/*', '#server/*', '@remix-run/*', 'drizzle-orm*'], message: 'crypto/ and charter/ depend on nothing of ours (DESIGN §3).' },
          ],
        },
      ],
    },
  },
  {
    files: ['journal/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['#app/*', '#db/*', '#server/*', '#crypto/*', '#tests/*', '@remix-run/*', 'drizzle-orm*', 'pg', '@electric-sql/*'],
              message: 'journal/ is the database-free core: node:crypto, zod and charter/ only (docs/decisions/017-journal-module.md).',
            },
          ],
        },
      ],
    },
  },
)

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // The console.error guard and per-file databases live in the setup files.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['tests/support/setup-fail-on-console-error.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/security/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['tests/support/setup-fail-on-console-error.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // PGlite instances and app processes are heavy on 2 cores.
          maxConcurrency: 1,
          poolOptions: { forks: { maxForks: 2, minForks: 1 } },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})

/**
 * `npm run test:server`: the integration and security suites against a PostgreSQL server.
 * Each test file creates (and drops) its own database on the server named by DATABASE_URL.
 */
import { spawnSync } from 'node:child_process'
import pg from 'pg'

const url = process.env.DATABASE_URL
if (!url) {
  process.stderr.write(
    'npm run test:server a besoin de DATABASE_URL / needs DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run test:server\n',
  )
  process.exit(1)
}

const client = new pg.Client({ connectionString: url })
try {
  await client.connect()
  await client.query('select 1')
} catch (error) {
  process.stderr.write(`Serveur PostgreSQL injoignable / server unreachable: ${(error as Error).message}\n`)
  process.exit(1)
} finally {
  await client.end().catch(() => {})
}

const result = spawnSync('npx', ['vitest', 'run', '--project', 'integration', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: process.env,
})
process.exit(result.status ?? 1)

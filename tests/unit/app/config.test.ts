import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '#server/config.ts'

describe('configuration', () => {
  it('has sensible defaults for the embedded database', () => {
    const config = parseConfig({})
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: '.data', databaseKind: 'pglite', seedDemo: true, NODE_ENV: 'production' })
  })

  it('uses the PostgreSQL server when DATABASE_URL is set and does not seed demo data there by default', () => {
    const config = parseConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/cellule' })
    expect(config.databaseKind).toBe('postgres')
    expect(config.seedDemo).toBe(false)
    expect(parseConfig({ DATABASE_URL: 'postgres://h/db', SEED_DEMO: 'true' }).seedDemo).toBe(true)
  })

  it.each([
    [{ PORT: 'abc' }, /PORT.*nombre/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL.*URL/],
    [{ DATABASE_URL: 'mysql://root@localhost/db' }, /DATABASE_URL.*postgres/],
    [{ PUBLIC_ORIGIN: 'cellule' }, /PUBLIC_ORIGIN/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ SEED_DEMO: 'yes' }, /SEED_DEMO/],
  ])('refuses %o with a one-line explanation', (env, message) => {
    let caught: unknown
    try {
      parseConfig(env)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ConfigError)
    const text = (caught as Error).message
    expect(text).toMatch(message)
    expect(text).toMatch(/^Configuration invalide \/ invalid configuration: /)
    expect(text).not.toContain('\n')
  })

  it('treats empty variables as unset and normalises PUBLIC_ORIGIN', () => {
    expect(parseConfig({ PORT: '', PUBLIC_ORIGIN: 'https://cellule.example.fr/some/path' })).toMatchObject({
      PORT: 3000,
      PUBLIC_ORIGIN: 'https://cellule.example.fr',
    })
  })
})

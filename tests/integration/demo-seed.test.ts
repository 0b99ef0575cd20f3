import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deriveAccountSecrets } from '#crypto/account.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { findUserByEmail } from '#db/accounts.ts'
import { memberships, users } from '#db/schema.ts'
import { verifySecret } from '#app/auth/secret-hash.server.ts'
import { DEMO_ACCOUNTS, seedDemoData } from '#server/demo/seed.ts'
import { projectRoot } from '#tests/support/app-process.ts'
import { createTestDatabase, type TestDatabase } from '#tests/support/test-database.ts'

let database: TestDatabase
beforeAll(async () => {
  await initCrypto()
  database = await createTestDatabase()
})
afterAll(async () => {
  await database.cleanup()
})

describe('demo data', () => {
  it('creates one account per role with working passwords, once', async () => {
    const first = await seedDemoData(database.handle.db, { accounts: true })
    expect(first.created.filter(line => line.startsWith('compte'))).toHaveLength(DEMO_ACCOUNTS.length)
    const second = await seedDemoData(database.handle.db, { accounts: true })
    expect(second.created).toEqual([])

    expect(await database.handle.db.select().from(users)).toHaveLength(DEMO_ACCOUNTS.length)
    const roles = (await database.handle.db.select().from(memberships)).map(row => row.role).sort()
    expect(roles).toEqual(['associate', 'coordinator', 'dpo', 'member'])

    const coordinator = DEMO_ACCOUNTS[1]
    const user = await findUserByEmail(database.handle.db, coordinator.email)
    if (!user) throw new Error('coordinator missing')
    const { authSecret } = deriveAccountSecrets({
      email: coordinator.email,
      password: coordinator.password,
      kdfParams: { algorithm: 'argon2id13', opsLimit: user.kdfOpsLimit, memLimitBytes: user.kdfMemLimitBytes, saltSeed: user.saltSeed },
    })
    expect(await verifySecret({ hash: user.authSecretHash, secret: authSecret })).toBe(true)
  })

  it('refuses demo accounts on a server database unless forced', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/seed-demo.ts'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/absente' } as unknown as NodeJS.ProcessEnv,
      encoding: 'utf8',
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/--force/)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
  })
})

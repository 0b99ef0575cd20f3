import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { logOrigin } from '#journal/checkpoint.ts'
import { generateSigningKey } from '#journal/keys.ts'
import { recordAudit } from '#db/journal/index.ts'
import { latestSignedCheckpoint } from '#db/journal/checkpoints.ts'
import { readLogHead } from '#db/journal/sequencer.ts'
import { AuditDrainError, startAuditLogService } from '#db/journal/service.ts'
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts'

/**
 * Issue 10, « Errors that hide failures »: the service's stop() swallowed a failed final seal or
 * signature, so a shutdown that left the journal without its last checkpoint looked clean.
 */

let database: TestDatabase
const origin = logOrigin('test.cellule.local')
const HOUR = 3_600_000

beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(async () => {
  await database.cleanup()
})

function service(signer: Parameters<typeof startAuditLogService>[0]['signer']) {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() }
  // Timers far away: only stop() works here.
  return startAuditLogService({ db: database.handle.db, signer, logger, retentionMonths: 12, sequenceEveryMs: HOUR, checkpointEveryMs: HOUR, purgeEveryMs: HOUR })
}

const queueOne = () => recordAudit(database.handle.db, { type: 'auth.login', outcome: 'success', data: {} }, {})

describe('the journal drain at shutdown', () => {
  it('seals and signs what is queued', async () => {
    const signer = { key: generateSigningKey(), origin }
    await queueOne()
    await service(signer).stop()
    const head = await readLogHead(database.handle.db)
    expect((await latestSignedCheckpoint(database.handle.db, signer))?.treeSize).toBe(head.treeSize)
  })

  it('a signature that fails is thrown, after the events were sealed', async () => {
    // An X25519 key cannot sign: the checkpoint step fails as a broken key file would.
    const signer = { key: { ...generateSigningKey(), privateKey: generateKeyPairSync('x25519').privateKey }, origin }
    await queueOne()
    const before = await readLogHead(database.handle.db)
    const stopped = service(signer).stop()
    await expect(stopped).rejects.toBeInstanceOf(AuditDrainError)
    const error = (await stopped.catch((caught: unknown) => caught)) as AuditDrainError
    expect(error.failures.map(failure => failure.step)).toEqual(['checkpoint'])
    expect((await readLogHead(database.handle.db)).treeSize).toBe(before.treeSize + 1)
  })

  it('a database that fails under the drain is thrown too (both steps tried)', async () => {
    const broken = await createTestDatabase()
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    const running = startAuditLogService({ db: broken.handle.db, signer: { key: generateSigningKey(), origin }, logger, retentionMonths: 12, sequenceEveryMs: HOUR, checkpointEveryMs: HOUR, purgeEveryMs: HOUR })
    await broken.cleanup()
    const error = (await running.stop().catch((caught: unknown) => caught)) as AuditDrainError
    expect(error).toBeInstanceOf(AuditDrainError)
    expect(error.failures.map(failure => failure.step)).toEqual(['sequence', 'checkpoint'])
  })

  it('stop({ drain: false }) leaves the queue and does not throw', async () => {
    await queueOne()
    await expect(service({ key: { ...generateSigningKey(), privateKey: generateKeyPairSync('x25519').privateKey }, origin }).stop({ drain: false })).resolves.toBeUndefined()
  })
})

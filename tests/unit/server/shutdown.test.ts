import { describe, expect, it, vi } from 'vitest'
import { AuditDrainError } from '#db/journal/service.ts'
import { drainAndClose } from '#server/shutdown.ts'

/** Issue 10, « Errors that hide failures »: the shutdown drain swallowed a failed final seal or signature. */

function fakes({ stop = async () => {}, close = async () => {} }: { stop?: () => Promise<void>; close?: () => Promise<void> } = {}) {
  const logger = { error: vi.fn(), info: vi.fn() }
  const database = { close: vi.fn(close) }
  return { journal: { stop: vi.fn(stop) }, database, logger }
}

describe('the end of a graceful shutdown', () => {
  it('exits 0 and says so when the journal is sealed and the database closed', async () => {
    const parts = fakes()
    expect(await drainAndClose(parts)).toBe(0)
    expect(parts.database.close).toHaveBeenCalledOnce()
    expect(parts.logger.info).toHaveBeenCalledWith('stopped cleanly')
    expect(parts.logger.error).not.toHaveBeenCalled()
  })

  it('a failed final signature is an error-level line and exit code 1, and the database is still closed', async () => {
    const parts = fakes({
      stop: async () => {
        throw new AuditDrainError([{ step: 'checkpoint', error: new Error('operation not supported for this keytype') }])
      },
    })
    expect(await drainAndClose(parts)).toBe(1)
    expect(parts.database.close).toHaveBeenCalledOnce()
    expect(parts.logger.error).toHaveBeenCalledOnce()
    const [fields, message] = parts.logger.error.mock.calls[0] as [{ failures: { step: string; err: { message: string } }[] }, string]
    expect(message).toMatch(/^journal not sealed at shutdown/)
    expect(fields.failures).toEqual([{ step: 'checkpoint', err: expect.objectContaining({ message: 'operation not supported for this keytype' }) }])
    expect(parts.logger.info).not.toHaveBeenCalledWith('stopped cleanly')
  })

  it('any other failure of the stop, and a database that does not close, also exit 1', async () => {
    const stopFails = fakes({ stop: () => Promise.reject(new Error('boom')) })
    expect(await drainAndClose(stopFails)).toBe(1)
    expect(stopFails.database.close).toHaveBeenCalledOnce()
    const closeFails = fakes({ close: () => Promise.reject(new Error('disk full')) })
    expect(await drainAndClose(closeFails)).toBe(1)
    expect(closeFails.logger.error.mock.calls[0]?.[1]).toMatch(/database did not close cleanly/)
  })
})

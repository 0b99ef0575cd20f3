import { AuditDrainError } from '#db/journal/service.ts'
import { loggableError } from '#app/utils/loggable-error.server.ts'
import { type Logger } from './logger.ts'

type Closable = { close: () => Promise<void> }
type Journal = { stop: () => Promise<void> }

/**
 * The end of a graceful shutdown: seal and sign what the last requests queued, then close the
 * database whatever happened (PGlite flushes its files on close). A failure is logged at error
 * level and gives exit code 1, so the supervisor and the operator see it; the queued events stay
 * in the database and the next start seals them.
 */
export async function drainAndClose({ journal, database, logger }: { journal: Journal; database: Closable; logger: Pick<Logger, 'error' | 'info'> }): Promise<0 | 1> {
  let exitCode: 0 | 1 = 0
  try {
    await journal.stop()
  } catch (error) {
    exitCode = 1
    const failures = error instanceof AuditDrainError ? error.failures.map(failure => ({ step: failure.step, err: loggableError(failure.error) })) : [{ step: 'stop', err: loggableError(error) }]
    logger.error(
      { failures },
      'journal not sealed at shutdown: the last events may lack their checkpoint; they stay queued and the next start seals them; check the database and the signing key',
    )
  }
  try {
    await database.close()
  } catch (error) {
    exitCode = 1
    logger.error({ err: loggableError(error) }, 'database did not close cleanly at shutdown: the last writes may be lost')
  }
  if (exitCode === 0) logger.info('stopped cleanly')
  return exitCode
}

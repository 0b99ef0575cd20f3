import { type Logger } from 'pino'
import { type LogSigner } from '#db/journal/checkpoints.ts'
import { type DatabaseHandle } from '#db/database.ts'
import { type TotpKey } from '#db/totp-key.ts'
import { createThrottles } from '#app/auth/throttle.server.ts'
import { type Runtime } from '#app/runtime.server.ts'
import { type Config } from './config.ts'
import { createMailer } from './mailer.ts'

/**
 * The runtime every request receives (`context.runtime`), from what the boot opened and loaded.
 * server/index.ts `main()` and the tests' in-process app both build it here, so they cannot drift.
 */
export function createRuntime({ config, logger, db, signer, totpKey }: { config: Config; logger: Logger; db: DatabaseHandle; signer: LogSigner; totpKey: TotpKey }): Runtime<Config> {
  return { db, signer, totpKey, logger, throttles: createThrottles(db.db), config, mailer: config.mail ? createMailer(config.mail) : undefined }
}

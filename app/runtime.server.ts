import { type Logger } from 'pino'
import { type LogSigner } from '#db/journal/checkpoints.ts'
import { type DatabaseHandle } from '#db/database.ts'
import { type TotpKey } from '#db/totp-key.ts'
import { type Throttles } from '#app/auth/throttle.server.ts'

/** The settings the app itself reads; the server's parsed environment (server/config.ts) has more. */
export type AppConfig = {
  NODE_ENV: 'development' | 'production' | 'test'
  PUBLIC_ORIGIN?: string | undefined
}

/** Outgoing mail (server/mailer.ts over SMTP): undefined when the deployment sets no `SMTP_URL`. */
export type Mailer = {
  send: (message: { to: string; subject: string; text: string }) => Promise<void>
}

/**
 * Everything a request needs from the process, created once by `createRuntime()` (server/runtime.ts)
 * in `main()` and handed to every loader and action as `context.runtime`. Nothing here is state of
 * one process that another would need: sessions, throttles and the journal live in the database, so
 * any number of processes can serve the same database.
 */
export type Runtime<Config extends AppConfig = AppConfig> = {
  db: DatabaseHandle
  /** The journal's checkpoint signing key and origin. */
  signer: LogSigner
  /** The key sealing TOTP secrets (decision 014). */
  totpKey: TotpKey
  /** The process logger; a request's own child logger is `context.logger`. */
  logger: Logger
  throttles: Throttles
  config: Config
  mailer: Mailer | undefined
}

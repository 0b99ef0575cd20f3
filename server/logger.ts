import { pino, type Logger } from 'pino'

export type { Logger }

/** JSON logs on stdout. Request serializers keep method, path and status only: no query, body, cookie or header. */
export function createLogger({ level }: { level: string }): Logger {
  return pino({
    level,
    base: { service: 'cellule' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers', 'res.headers', 'password', '*.password', 'authSecret', '*.authSecret', 'cookie', '*.cookie'],
      censor: '[redacted]',
    },
  })
}

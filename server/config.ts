import { z } from 'zod'

/** Every environment variable the server reads; documented in README.md ("Configuration"). */
const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
    PORT: z.coerce
      .number({ invalid_type_error: 'PORT doit être un nombre / PORT must be a number' })
      .int('PORT doit être un entier / PORT must be an integer')
      .min(0)
      .max(65535)
      .default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('.data'),
    DATABASE_URL: z
      .string()
      .url('DATABASE_URL doit être une URL postgres:// valide / DATABASE_URL must be a valid postgres:// URL')
      .refine(value => /^postgres(ql)?:\/\//.test(value), {
        message: 'DATABASE_URL doit commencer par postgres:// / DATABASE_URL must start with postgres://',
      })
      .optional(),
    PUBLIC_ORIGIN: z
      .string()
      .url('PUBLIC_ORIGIN doit être une URL (https://cellule.example.fr) / PUBLIC_ORIGIN must be a URL')
      .transform(value => new URL(value).origin)
      .optional(),
    SEED_DEMO: z.enum(['true', 'false']).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
    /** Ed25519 PKCS#8 PEM key signing the journal's checkpoints; required for a production server. */
    AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
    /** 32 random bytes in base64 sealing the TOTP secrets (decision 014); required for a production server. */
    TOTP_KEY_FILE: z.string().min(1).optional(),
    AUDIT_RETENTION_MONTHS: z.coerce
      .number({ invalid_type_error: 'AUDIT_RETENTION_MONTHS doit être un nombre de mois / must be a number of months' })
      .int('AUDIT_RETENTION_MONTHS doit être un entier / must be an integer')
      .min(6, 'AUDIT_RETENTION_MONTHS : 6 mois au minimum / at least 6 months')
      .max(12, 'AUDIT_RETENTION_MONTHS : 12 mois au maximum / at most 12 months')
      .default(12),
    /** The role every server connection starts as (INSERT-only on audit tables); `none` to use the login role as is. */
    DATABASE_APP_ROLE: z
      .string()
      .regex(/^(none|[a-z_][a-z0-9_]{0,62})$/, 'DATABASE_APP_ROLE : nom de rôle en minuscules ou « none » / lower-case role name or "none"')
      .default('cellule_app'),
    /** `false` when the login role may not migrate (production: run `npm run db:migrate` as the owner first). */
    MIGRATE_ON_START: z.enum(['true', 'false'], { errorMap: () => ({ message: 'MIGRATE_ON_START : true ou false' }) }).default('true'),
    /** Host part of the journal's origin (`cellule-audit.<host>/v1`), fixed by the first checkpoint. */
    AUDIT_LOG_HOST: z
      .string()
      .regex(/^[a-z0-9.-]{1,200}$/, 'AUDIT_LOG_HOST : nom d’hôte en minuscules / lower-case host name')
      .optional(),
    /** Outgoing mail (content-free invitation e-mails): smtp:// or smtps:// URL of the mail server, credentials included. */
    SMTP_URL: z
      .string()
      .url('SMTP_URL doit être une URL smtp:// ou smtps:// / SMTP_URL must be an smtp:// or smtps:// URL')
      .refine(value => /^smtps?:\/\//.test(value), { message: 'SMTP_URL doit commencer par smtp:// ou smtps:// / SMTP_URL must start with smtp:// or smtps://' })
      .optional(),
    /** The sender of those e-mails: `cellule@ville.fr` or `Cellule <cellule@ville.fr>`. */
    MAIL_FROM: z
      .string()
      .regex(/^([^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'MAIL_FROM : adresse électronique, éventuellement « Nom <adresse> » / an address, or "Name <address>"')
      .optional(),
  })
  .superRefine((raw, context) => {
    if (raw.SMTP_URL && !raw.MAIL_FROM) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['MAIL_FROM'], message: 'obligatoire avec SMTP_URL (expéditeur des courriels) / required with SMTP_URL' })
    }
  })
  .transform(raw => ({
    ...raw,
    databaseKind: raw.DATABASE_URL ? ('postgres' as const) : ('pglite' as const),
    // A real server never gets demo data unless asked for explicitly.
    seedDemo: raw.SEED_DEMO ? raw.SEED_DEMO === 'true' : !raw.DATABASE_URL,
    appRole: raw.DATABASE_APP_ROLE === 'none' ? undefined : raw.DATABASE_APP_ROLE,
    auditLogHost: raw.AUDIT_LOG_HOST ?? (raw.PUBLIC_ORIGIN ? new URL(raw.PUBLIC_ORIGIN).hostname : 'localhost'),
    // Without SMTP_URL no mail is sent: pages show the links to hand over instead.
    mail: raw.SMTP_URL && raw.MAIL_FROM ? { smtpUrl: raw.SMTP_URL, from: raw.MAIL_FROM } : undefined,
  }))

export type Config = z.infer<typeof ConfigSchema>

/**
 * A production server's checkpoints must be signed by a key kept outside the database (and its
 * backups); development and the embedded database generate one next to the data, with a warning.
 * Checked at server boot only: command-line tools do not sign.
 */
export function auditKeyProblem(config: Config): string | null {
  if (config.NODE_ENV === 'production' && config.databaseKind === 'postgres' && !config.AUDIT_SIGNING_KEY_FILE) {
    return 'Configuration invalide / invalid configuration: AUDIT_SIGNING_KEY_FILE: obligatoire en production avec DATABASE_URL (clé Ed25519 PEM, voir docs/operations.md) / required in production with DATABASE_URL'
  }
  return null
}

/**
 * The same rule for the key sealing TOTP secrets: outside the database and its backups in
 * production; development and the embedded database generate `DATA_DIR/totp-key` with a warning.
 */
export function totpKeyProblem(config: Config): string | null {
  if (config.NODE_ENV === 'production' && config.databaseKind === 'postgres' && !config.TOTP_KEY_FILE) {
    return 'Configuration invalide / invalid configuration: TOTP_KEY_FILE: obligatoire en production avec DATABASE_URL (32 octets en base64, voir docs/operations.md) / required in production with DATABASE_URL'
  }
  return null
}

/**
 * A production server behind a load balancer must know its public origin: the cross-site check
 * compares each mutation's Origin with it, and without it would fall back on the Host header, which
 * the client chooses. Checked at server boot only (command-line tools never serve requests).
 */
export function publicOriginProblem(config: Config): string | null {
  if (config.NODE_ENV === 'production' && config.databaseKind === 'postgres' && !config.PUBLIC_ORIGIN) {
    return 'Configuration invalide / invalid configuration: PUBLIC_ORIGIN: obligatoire en production avec DATABASE_URL (par exemple https://cellule.example.fr) / required in production with DATABASE_URL'
  }
  return null
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parse the environment; empty strings count as unset so `PORT= npm start` means the default. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  const result = ConfigSchema.safeParse(cleaned)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const variable = issue?.path.join('.') ?? 'configuration'
  throw new ConfigError(`Configuration invalide / invalid configuration: ${variable}: ${issue?.message ?? 'valeur refusée'}`)
}

/** For command-line entry points: print one line and exit 1 instead of a stack trace. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return parseConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

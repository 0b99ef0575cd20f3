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
  })
  .transform(raw => ({
    ...raw,
    databaseKind: raw.DATABASE_URL ? ('postgres' as const) : ('pglite' as const),
    // A real server never gets demo data unless asked for explicitly.
    seedDemo: raw.SEED_DEMO ? raw.SEED_DEMO === 'true' : !raw.DATABASE_URL,
  }))

export type Config = z.infer<typeof ConfigSchema>

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

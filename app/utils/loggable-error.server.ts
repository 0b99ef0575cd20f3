/**
 * What of an error may reach the logs: its name, SQLSTATE and message, never a query's parameters
 * (a failed audit or business write would otherwise log identities, addresses and salts), walking
 * the causes. Stacks are kept: they hold code locations, not data.
 */
export function loggableError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: typeof error }
  const code = (error as Error & { code?: unknown }).code
  const message = error.message.split(/\nparams:|params: /)[0]!.slice(0, 500)
  const cause = (error as Error & { cause?: unknown }).cause
  return {
    name: error.name,
    message,
    ...(typeof code === 'string' ? { code } : {}),
    stack: error.stack?.split('\n').filter(line => line.trimStart().startsWith('at ')).slice(0, 12).join('\n'),
    ...(cause !== undefined && depth < 3 ? { cause: loggableError(cause, depth + 1) } : {}),
  }
}

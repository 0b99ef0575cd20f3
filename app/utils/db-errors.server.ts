/** PostgreSQL's unique_violation (23505), whether drizzle wraps the driver error or not. */
export function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: string; cause?: { code?: string } } | undefined
  return candidate?.code === '23505' || candidate?.cause?.code === '23505'
}

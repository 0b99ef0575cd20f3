/**
 * Only same-site paths: `/x` yes; `//evil.example`, `https://…`, backslashes, and control characters
 * (browsers drop tabs and newlines, turning `/\t/evil` into `//evil`) no.
 */
export function safeRedirect(target: string | null | undefined, fallback = '/compte'): string {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (!target || !target.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(target)) return fallback
  if (target.startsWith('//')) return fallback
  return target
}

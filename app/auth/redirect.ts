/** Only same-site paths: `/x` yes, `//evil.example` or `https://…` no. */
export function safeRedirect(target: string | null | undefined, fallback = '/compte'): string {
  if (!target || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return fallback
  return target
}

import { sessionStatusSchema } from './schemas.ts'

/** Only the server saying so ends the session; a server that cannot be reached leaves it to the deadline. */
export type KeepAliveResult = { kind: 'extended'; deadline: number } | { kind: 'ended' } | { kind: 'unreachable' }

/** "Rester connecté(e)": a POST is activity, which extends the idle deadline. */
export async function keepSessionAlive(): Promise<KeepAliveResult> {
  let response: Response
  try {
    response = await fetch('/api/session', { method: 'POST', credentials: 'same-origin' })
  } catch {
    return { kind: 'unreachable' }
  }
  if (response.status === 401) return { kind: 'ended' }
  if (!response.ok) return { kind: 'unreachable' }
  const status = sessionStatusSchema.safeParse(await response.json().catch(() => null))
  if (!status.success) return { kind: 'unreachable' }
  return status.data.active ? { kind: 'extended', deadline: new Date(status.data.expiresAt).getTime() } : { kind: 'ended' }
}

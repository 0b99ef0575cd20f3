import { type DatabaseHandle } from './database.ts'

export type HealthReport =
  | { status: 'ok'; database: DatabaseHandle['kind'] }
  | { status: 'unavailable'; database: DatabaseHandle['kind']; reason: string }

export async function checkHealth(handle: DatabaseHandle): Promise<HealthReport> {
  try {
    await handle.ping()
    return { status: 'ok', database: handle.kind }
  } catch (error) {
    // The reason is operational (no credentials, no query text): safe to show a load balancer.
    const detail = error instanceof Error ? error.message.split('\n')[0] : 'unknown error'
    return { status: 'unavailable', database: handle.kind, reason: `database unreachable: ${detail}` }
  }
}

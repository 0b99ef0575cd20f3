import { sql } from 'drizzle-orm'
import { type Database } from '../database.ts'
import { queryRows, toSafeNumber } from './rows.ts'
import { appendAuditEvent } from './write.ts'

export const MIN_RETENTION_MONTHS = 6
export const MAX_RETENTION_MONTHS = 12
export const DEFAULT_RETENTION_MONTHS = 12

/** The instant before which details are purged: `months` calendar months before `now` (UTC). */
export function retentionCutoff({ months, now }: { months: number; now: number }): number {
  if (!Number.isInteger(months) || months < MIN_RETENTION_MONTHS || months > MAX_RETENTION_MONTHS) {
    throw new RangeError(`durée de conservation ${months} mois hors de 6 à 12 / retention ${months} months outside 6–12`)
  }
  const cutoff = new Date(now)
  cutoff.setUTCMonth(cutoff.getUTCMonth() - months)
  return cutoff.getTime()
}

export type PurgeResult = { purged: number; cutoffMs: number; eventId: string | null }

/**
 * Deletes the details (and salts) of events older than the retention period, through the
 * database function that alone may delete from the audit tables, and audits the purge in the
 * same transaction (`audit.details.purged`, a platform event). The leaves stay: the log still
 * verifies, the purged commitments just cannot be opened any more. Nothing to purge: no event.
 */
export async function purgeExpiredDetails(db: Database, { months, now = Date.now(), actorUserId = null }: { months: number; now?: number; actorUserId?: string | null }): Promise<PurgeResult> {
  const cutoffMs = retentionCutoff({ months, now })
  return db.transaction(async (tx) => {
    const [row] = await queryRows<{ purged: unknown; first_ms: unknown; last_ms: unknown }>(tx, sql`select purged, first_ms, last_ms from audit_purge_details(${cutoffMs})`)
    const purged = toSafeNumber(row?.purged ?? 0)
    if (purged === 0) return { purged, cutoffMs, eventId: null }
    const eventId = await appendAuditEvent(
      tx,
      {
        action: 'audit.details.purged',
        outcome: 'success',
        cellId: null,
        detail: { actorUserId, data: { purged, cutoffMs, retentionMonths: months, firstOccurredAtMs: toSafeNumber(row?.first_ms), lastOccurredAtMs: toSafeNumber(row?.last_ms) } },
      },
      { now },
    )
    return { purged, cutoffMs, eventId }
  })
}

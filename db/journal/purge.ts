import { sql } from 'drizzle-orm'
import { type Database } from '../database.ts'
import { queryRows, toSafeNumber } from './rows.ts'
import { recordAudit } from './record.ts'

export const MIN_RETENTION_MONTHS = 6
export const MAX_RETENTION_MONTHS = 12
export const DEFAULT_RETENTION_MONTHS = 12

export type PurgeResult = { purged: number; cutoffMs: number; eventIds: string[] }

function checkMonths(months: number): void {
  if (!Number.isInteger(months) || months < MIN_RETENTION_MONTHS || months > MAX_RETENTION_MONTHS) {
    throw new RangeError(`durée de conservation ${months} mois hors de 6 à 12 / retention ${months} months outside 6–12`)
  }
}

type PurgeRow = { purged: unknown; first_ms: unknown; last_ms: unknown; cutoff_ms: unknown }

/**
 * Deletes the details (and salts) of events older than the retention, through the database
 * function that alone may delete from the audit tables (it computes the cutoff: `months`
 * calendar months before now, UTC), and journals each purge in the same transaction
 * (`audit.details.purged`). Cells whose charter keeps details shorter
 * (`rules.auditDetailRetentionMonths`) are purged first with their own retention, and that purge
 * is a cell event their DPO sees. The leaves stay: the log still verifies.
 */
export async function purgeExpiredDetails(db: Database, { months, actorUserId = null }: { months: number; actorUserId?: string | null }): Promise<PurgeResult> {
  checkMonths(months)
  const shorter = await queryRows<{ cell_id: string; months: unknown }>(
    db,
    sql`select c.id as cell_id, (cc.content->'rules'->>'auditDetailRetentionMonths')::int as months
        from cells c join cell_charters cc on cc.cell_id = c.id and cc.version = c.current_charter_version
        where (cc.content->'rules'->>'auditDetailRetentionMonths') ~ '^[0-9]+$'
          and (cc.content->'rules'->>'auditDetailRetentionMonths')::int between ${MIN_RETENTION_MONTHS} and ${months - 1}`,
  )
  const runs: { months: number; cellId: string | null }[] = [...shorter.map((row) => ({ months: toSafeNumber(row.months), cellId: row.cell_id })), { months, cellId: null }]
  const result: PurgeResult = { purged: 0, cutoffMs: 0, eventIds: [] }
  for (const run of runs) {
    await db.transaction(async (tx) => {
      const [row] = await queryRows<PurgeRow>(tx, sql`select purged, first_ms, last_ms, cutoff_ms from audit_purge_details(${run.months}::int, ${run.cellId}::uuid)`)
      const purged = toSafeNumber(row?.purged ?? 0)
      const cutoffMs = toSafeNumber(row?.cutoff_ms ?? 0)
      if (run.cellId === null) result.cutoffMs = cutoffMs
      if (purged === 0) return
      result.purged += purged
      result.eventIds.push(
        await recordAudit(
          tx,
          { type: 'audit.details.purged', outcome: 'success', data: { purged, cutoffMs, retentionMonths: run.months, firstOccurredAtMs: toSafeNumber(row?.first_ms), lastOccurredAtMs: toSafeNumber(row?.last_ms) } },
          { cellId: run.cellId, actorUserId },
        ),
      )
    })
  }
  return result
}

import { sql } from 'drizzle-orm'
import { type Database } from '../database.ts'
import { signCheckpointIfGrown, latestSignedCheckpoint, type LogSigner } from './checkpoints.ts'
import { queryRows, toSafeNumber } from './rows.ts'
import { sequencePending } from './sequencer.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits until `eventId` is integrated and covered by a signed checkpoint, sequencing and
 * signing itself when no other process does (an export must contain its own export event).
 * False after `timeoutMs` (a long transaction elsewhere can hold the horizon).
 */
export async function sealEvent(db: Database, { eventId, signer, timeoutMs = 10_000 }: { eventId: string; signer: LogSigner; timeoutMs?: number }): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    await sequencePending(db)
    const [leaf] = await queryRows<{ leaf_index: unknown }>(db, sql`select leaf_index from audit_leaves where event_id = ${eventId}`)
    if (leaf) {
      const index = toSafeNumber(leaf.leaf_index)
      await signCheckpointIfGrown(db, signer)
      const checkpoint = await latestSignedCheckpoint(db, signer)
      if (checkpoint && checkpoint.treeSize > index) return true
    }
    if (Date.now() > deadline) return false
    await sleep(100)
  }
}

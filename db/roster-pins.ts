import { and, eq, lt } from 'drizzle-orm'
import { type Database } from './database.ts'
import { rosterPinSets } from './schema.ts'

/** An account's synced roster pins: an opaque blob and its counter (decision 022). */
export type StoredRosterPins = { counter: number; blob: string }

/** The caller's own row only: there is no query by anything but the signed-in user's id. */
export async function findRosterPins(db: Pick<Database, 'select'>, userId: string): Promise<StoredRosterPins | undefined> {
  const [row] = await db.select({ counter: rosterPinSets.counter, blob: rosterPinSets.blob }).from(rosterPinSets).where(eq(rosterPinSets.userId, userId))
  return row
}

/**
 * Stores the blob if its counter is above the stored one, in one statement (no read-then-write
 * race between two tabs). Returns false when the stored counter is equal or higher.
 */
export async function storeRosterPins(db: Pick<Database, 'insert'>, { userId, counter, blob }: { userId: string } & StoredRosterPins): Promise<boolean> {
  const written = await db
    .insert(rosterPinSets)
    .values({ userId, counter, blob })
    .onConflictDoUpdate({
      target: rosterPinSets.userId,
      set: { counter, blob, updatedAt: new Date() },
      setWhere: and(eq(rosterPinSets.userId, userId), lt(rosterPinSets.counter, counter)),
    })
    .returning({ counter: rosterPinSets.counter })
  return written.length === 1
}

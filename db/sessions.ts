import { eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { charterRulesSchema, RULE_BOUNDS } from '#charter/schema.ts'
import { type Database } from './database.ts'
import { cellCharters, cells, memberships, sessions, users } from './schema.ts'
import { parseStored } from './stored-value.ts'

type Reader = Pick<Database, 'select'>
type Writer = Pick<Database, 'update' | 'delete'>

export type SessionRow = typeof sessions.$inferSelect
export type SessionUserRow = typeof users.$inferSelect
export type SessionLimits = { idleTimeoutMinutes: number; absoluteSessionHours: number }

/** Without a cell, or with charters that keep the defaults: the platform's limits, the loosest a charter may set (DESIGN §4). */
export const PLATFORM_SESSION_LIMITS: SessionLimits = {
  idleTimeoutMinutes: RULE_BOUNDS.idleTimeoutMinutes.max,
  absoluteSessionHours: RULE_BOUNDS.absoluteSessionHours.max,
}

const sessionRulesSchema = z.array(
  z
    .object({ idleTimeoutMinutes: charterRulesSchema.shape.idleTimeoutMinutes, absoluteSessionHours: charterRulesSchema.shape.absoluteSessionHours })
    .strict(),
)

/** The two session rules of the current charter of each cell where the user is an active member. */
const memberCharterRules = sql<unknown>`(
  select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
    'idleTimeoutMinutes', ${cellCharters.content} -> 'rules' -> 'idleTimeoutMinutes',
    'absoluteSessionHours', ${cellCharters.content} -> 'rules' -> 'absoluteSessionHours'
  ))), '[]'::jsonb)
  from ${memberships}
  inner join ${cells} on ${cells.id} = ${memberships.cellId}
  inner join ${cellCharters} on ${cellCharters.cellId} = ${cells.id} and ${cellCharters.version} = ${cells.currentCharterVersion}
  where ${memberships.userId} = ${sessions.userId} and ${memberships.status} = 'active'
)`

/**
 * A session, its user and its effective limits in one query: the strictest among the current
 * charters of the user's cells, the platform's otherwise. Computed at each validation, so a charter
 * published or a membership gained applies at the next request without touching sessions.
 */
export async function findSessionForValidation(db: Reader, sessionId: string): Promise<{ session: SessionRow; user: SessionUserRow; limits: SessionLimits } | undefined> {
  const [row] = await db
    .select({ session: sessions, user: users, rules: memberCharterRules })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sessionId))
  if (!row) return undefined
  const rules = parseStored({ schema: sessionRulesSchema, value: row.rules, where: `session rules of the charters of user ${row.user.id}` })
  const limits = rules.reduce<SessionLimits>(
    (strictest, rule) => ({
      idleTimeoutMinutes: Math.min(strictest.idleTimeoutMinutes, rule.idleTimeoutMinutes),
      absoluteSessionHours: Math.min(strictest.absoluteSessionHours, rule.absoluteSessionHours),
    }),
    PLATFORM_SESSION_LIMITS,
  )
  return { session: row.session, user: row.user, limits }
}

/** Records activity: the new idle deadline and, when a charter tightened it, the absolute one. */
export async function recordSessionActivity(db: Writer, { sessionId, lastActivityAt, expiresAt, absoluteExpiresAt }: { sessionId: string; lastActivityAt: Date; expiresAt: Date; absoluteExpiresAt: Date }) {
  await db.update(sessions).set({ lastActivityAt, expiresAt, absoluteExpiresAt }).where(eq(sessions.id, sessionId))
}

export async function deleteSession(db: Writer, sessionId: string) {
  await db.delete(sessions).where(eq(sessions.id, sessionId))
}

import { and, eq, isNull, lt, or } from 'drizzle-orm'
import { type Database } from './database.ts'
import { normalizeEmailAddress } from './invitations.ts'
import { users } from './schema.ts'

export type User = typeof users.$inferSelect

/** The KDF parameters served for new accounts: the compiled floor of the client (DESIGN §6). */
export const DEFAULT_KDF = { opsLimit: 3, memLimitBytes: 64 * 1024 * 1024 } as const

export async function findUserByEmail(db: Pick<Database, 'select'>, email: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.email, normalizeEmailAddress(email)))
  return user
}

export async function findUserById(db: Pick<Database, 'select'>, id: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.id, id))
  return user
}

export type KeyMaterial = {
  authSecretHash: string
  recoverySecretHash: string
  wrappedAccountKey: string
  recoveryWrappedAccountKey: string
  identityPublic: string
  wrappedIdentitySecrets: string
}

export async function insertUser(
  tx: Pick<Database, 'insert'>,
  values: KeyMaterial & {
    id: string
    email: string
    displayName: string
    profession: string
    rppsNumber: string | null
    adeliNumber: string | null
    platformRole: 'none' | 'platform_admin'
    saltSeed: string
  },
) {
  await tx.insert(users).values({ ...values, kdfOpsLimit: DEFAULT_KDF.opsLimit, kdfMemLimitBytes: DEFAULT_KDF.memLimitBytes })
}

/** Account reset: new keys and salt, TOTP to enrol again, cells must re-admit the person. */
export async function replaceAccountKeys(
  tx: Pick<Database, 'update'>,
  { userId, saltSeed, keys, now = new Date() }: { userId: string; saltSeed: string; keys: KeyMaterial; now?: Date },
) {
  await tx
    .update(users)
    .set({
      ...keys,
      saltSeed,
      kdfOpsLimit: DEFAULT_KDF.opsLimit,
      kdfMemLimitBytes: DEFAULT_KDF.memLimitBytes,
      totpSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
      needsReadmissionSince: now,
      passwordChangedAt: now,
    })
    .where(eq(users.id, userId))
}

/** Password change or recovery: the same account key, wrapped under the new password. */
export async function replacePasswordWrap(
  tx: Pick<Database, 'update'>,
  { userId, authSecretHash, wrappedAccountKey }: { userId: string; authSecretHash: string; wrappedAccountKey: string },
) {
  await tx.update(users).set({ authSecretHash, wrappedAccountKey, passwordChangedAt: new Date() }).where(eq(users.id, userId))
}

export async function setPendingTotpSecret(db: Pick<Database, 'update'>, { userId, secret }: { userId: string; secret: string }) {
  await db.update(users).set({ totpSecret: secret }).where(eq(users.id, userId))
}

/** Conditional on the step being new, so two concurrent requests cannot both use one code. */
function newerStep(step: number) {
  return or(isNull(users.totpLastStep), lt(users.totpLastStep, step))
}

/** False when another request enabled it or used this step first. */
export async function enableTotp(tx: Pick<Database, 'update'>, { userId, step }: { userId: string; step: number }): Promise<boolean> {
  const updated = await tx
    .update(users)
    .set({ totpEnabledAt: new Date(), totpLastStep: step })
    .where(and(eq(users.id, userId), isNull(users.totpEnabledAt), newerStep(step)))
    .returning({ id: users.id })
  return updated.length === 1
}

/** False when this step (or a later one) was already used: a replay, even a concurrent one. */
export async function recordTotpStep(tx: Pick<Database, 'update'>, { userId, step }: { userId: string; step: number }): Promise<boolean> {
  const updated = await tx.update(users).set({ totpLastStep: step }).where(and(eq(users.id, userId), newerStep(step))).returning({ id: users.id })
  return updated.length === 1
}

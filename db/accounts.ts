import { and, eq, isNotNull, isNull, lt, or } from 'drizzle-orm'
import { type Database } from './database.ts'
import { normalizeEmailAddress } from './invitations.ts'
import { users } from './schema.ts'
import { type TotpKey } from './totp-key.ts'
import { isBase32TotpSecret, isSealedTotpSecret, openTotpSecret, sealingKeyId, sealTotpSecret, TotpSecretError } from './totp-secret.ts'

export type User = typeof users.$inferSelect

/**
 * The KDF parameters served for new passwords (registration, reset, change, recovery): decision 021
 * measured 128 MiB above the 1 s login budget in this platform's Chromium, so the default stays at
 * the client's compiled floor. Existing accounts keep the parameters stored with their password.
 */
export const DEFAULT_KDF = { opsLimit: 3, memLimitBytes: 64 * 1024 * 1024 } as const

/** The cost a browser derived a new password with (it may take the floor on a low-memory device). */
export type KdfCost = { opsLimit: number; memLimitBytes: number }

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
    kdf?: KdfCost
  },
) {
  const { kdf = DEFAULT_KDF, ...row } = values
  await tx.insert(users).values({ ...row, kdfOpsLimit: kdf.opsLimit, kdfMemLimitBytes: kdf.memLimitBytes })
}

/** Account reset: new keys and salt, TOTP to enrol again, cells must re-admit the person. */
export async function replaceAccountKeys(
  tx: Pick<Database, 'update'>,
  { userId, saltSeed, keys, kdf = DEFAULT_KDF, now = new Date() }: { userId: string; saltSeed: string; keys: KeyMaterial; kdf?: KdfCost; now?: Date },
) {
  await tx
    .update(users)
    .set({
      ...keys,
      saltSeed,
      kdfOpsLimit: kdf.opsLimit,
      kdfMemLimitBytes: kdf.memLimitBytes,
      totpSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
      needsReadmissionSince: now,
      passwordChangedAt: now,
    })
    .where(eq(users.id, userId))
}

/** Password change: the same account key, wrapped under the new password (and its KDF cost). */
export async function replacePasswordWrap(
  tx: Pick<Database, 'update'>,
  { userId, authSecretHash, wrappedAccountKey, kdf }: { userId: string; authSecretHash: string; wrappedAccountKey: string; kdf?: KdfCost },
) {
  const cost = kdf ? { kdfOpsLimit: kdf.opsLimit, kdfMemLimitBytes: kdf.memLimitBytes } : {}
  await tx.update(users).set({ authSecretHash, wrappedAccountKey, ...cost, passwordChangedAt: new Date() }).where(eq(users.id, userId))
}

/**
 * Recovery: a new password wrap and a NEW recovery code (wrap and proof hash) in one update, on the
 * condition that the code used is still the current one. False when another request spent it
 * first: a code works once, even for two requests at the same moment.
 */
export async function replaceAfterRecovery(
  tx: Pick<Database, 'update'>,
  {
    userId,
    spentRecoverySecretHash,
    authSecretHash,
    wrappedAccountKey,
    kdf,
    recoverySecretHash,
    recoveryWrappedAccountKey,
  }: {
    userId: string
    spentRecoverySecretHash: string
    authSecretHash: string
    wrappedAccountKey: string
    kdf: KdfCost
    recoverySecretHash: string
    recoveryWrappedAccountKey: string
  },
): Promise<boolean> {
  const updated = await tx
    .update(users)
    .set({
      authSecretHash,
      wrappedAccountKey,
      kdfOpsLimit: kdf.opsLimit,
      kdfMemLimitBytes: kdf.memLimitBytes,
      recoverySecretHash,
      recoveryWrappedAccountKey,
      passwordChangedAt: new Date(),
    })
    .where(and(eq(users.id, userId), eq(users.recoverySecretHash, spentRecoverySecretHash)))
    .returning({ id: users.id })
  return updated.length === 1
}

/** Stored sealed under the TOTP key (db/totp-secret.ts): the row never holds the secret in clear. */
export async function setPendingTotpSecret(db: Pick<Database, 'update'>, { userId, secret, key }: { userId: string; secret: string; key: TotpKey }) {
  await db.update(users).set({ totpSecret: sealTotpSecret({ secret, userId, key }) }).where(eq(users.id, userId))
}

/** The user's base32 secret, or null before enrolment; a value the key cannot open throws TotpSecretError. */
export function readTotpSecret(user: Pick<User, 'id' | 'totpSecret'>, key: TotpKey): string | null {
  return user.totpSecret === null ? null : openTotpSecret({ stored: user.totpSecret, userId: user.id, key })
}

export type TotpSecretsAtBoot = {
  /** Secrets found in clear and sealed in place by this call. */
  sealed: number
  /** Secrets sealed by another key than `key`: the server must not start (wrong TOTP_KEY_FILE, or a lost key). */
  otherKeys: { keyId: string; count: number }[]
  /** Rows whose value `key` names but cannot open (altered, or copied from another account): those accounts need admin:reset. */
  unreadable: string[]
}

/**
 * Boot step: checks every stored secret against `key`, then seals the ones still in clear (older
 * versions stored base32). Idempotent, and safe with several processes: each update is
 * conditional on the clear value still being there. Nothing is sealed when another key is found,
 * so restoring the right key file leaves every secret readable.
 */
export async function sealTotpSecretsInClear(db: Pick<Database, 'select' | 'update'>, { key }: { key: TotpKey }): Promise<TotpSecretsAtBoot> {
  const rows = await db.select({ id: users.id, totpSecret: users.totpSecret }).from(users).where(isNotNull(users.totpSecret))
  const inClear: { id: string; secret: string }[] = []
  const otherKeys = new Map<string, number>()
  const unreadable: string[] = []
  for (const { id, totpSecret: stored } of rows) {
    if (stored === null) continue
    if (!isSealedTotpSecret(stored)) {
      // Not base32 either: no code could ever match it; reported, never sealed as if it were a secret.
      if (isBase32TotpSecret(stored)) inClear.push({ id, secret: stored })
      else unreadable.push(id)
      continue
    }
    const keyId = sealingKeyId(stored)
    if (keyId !== undefined && keyId !== key.id) {
      otherKeys.set(keyId, (otherKeys.get(keyId) ?? 0) + 1)
      continue
    }
    try {
      openTotpSecret({ stored, userId: id, key })
    } catch (error) {
      if (!(error instanceof TotpSecretError)) throw error
      unreadable.push(id)
    }
  }
  let sealed = 0
  if (otherKeys.size === 0) {
    for (const { id, secret } of inClear) {
      const updated = await db
        .update(users)
        .set({ totpSecret: sealTotpSecret({ secret, userId: id, key }) })
        .where(and(eq(users.id, id), eq(users.totpSecret, secret)))
        .returning({ id: users.id })
      sealed += updated.length
    }
  }
  return { sealed, otherKeys: [...otherKeys].map(([keyId, count]) => ({ keyId, count })), unreadable }
}

/**
 * For admin:reset after a lost key: a secret `key` cannot open is removed but the second factor
 * stays required (totp_enabled_at kept), so the password alone opens nothing until the reset link
 * is used and a new secret enrolled. Returns true when it removed one.
 */
export async function retireUnreadableTotpSecret(db: Pick<Database, 'select' | 'update'>, { email, key }: { email: string; key: TotpKey }): Promise<boolean> {
  const user = await findUserByEmail(db, email)
  if (!user?.totpSecret) return false
  try {
    readTotpSecret(user, key)
    return false
  } catch (error) {
    if (!(error instanceof TotpSecretError) || error.code === 'in_clear') return false
  }
  const updated = await db
    .update(users)
    .set({ totpSecret: null })
    .where(and(eq(users.id, user.id), eq(users.totpSecret, user.totpSecret)))
    .returning({ id: users.id })
  return updated.length === 1
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

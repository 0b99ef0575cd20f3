import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { type Database } from './database.ts'
import { instanceSecrets } from './schema.ts'

export type InstanceSecretName = 'fake_salt_seed_key'

/** Returns the named secret, creating 32 random bytes the first time (concurrent first calls agree). */
export async function instanceSecret(db: Database, name: InstanceSecretName): Promise<Uint8Array> {
  await db
    .insert(instanceSecrets)
    .values({ name, value: randomBytes(32).toString('base64url') })
    .onConflictDoNothing({ target: instanceSecrets.name })
  const [row] = await db.select({ value: instanceSecrets.value }).from(instanceSecrets).where(eq(instanceSecrets.name, name))
  if (!row) throw new Error(`instance secret ${name} missing after insert`)
  return new Uint8Array(Buffer.from(row.value, 'base64url'))
}

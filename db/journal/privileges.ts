import { sql } from 'drizzle-orm'
import { type Database } from '../database.ts'
import { queryRows } from './rows.ts'

export const AUDIT_TABLES = ['audit_queue', 'audit_leaves', 'audit_details', 'audit_tiles', 'audit_log_states', 'audit_checkpoints', 'audit_alert_reviews'] as const

/** The security-event table of issues 2–5, kept read-only since the journal replaced it. */
const LEGACY_AUDIT_TABLES = ['audit_events'] as const

export class AppRoleError extends Error {
  override name = 'AppRoleError'
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new AppRoleError(`nom de rôle invalide / invalid role name: ${name}`)
  return `"${name}"`
}

async function roleExists(db: Database, role: string): Promise<boolean> {
  const [row] = await queryRows<{ exists: boolean }>(db, sql`select exists(select 1 from pg_roles where rolname = ${role}) as exists`)
  return Boolean(row?.exists)
}

/**
 * The application's database role on a PostgreSQL server (DESIGN §11): full use of the
 * business tables, but only SELECT and INSERT on the audit tables: no UPDATE, DELETE or
 * TRUNCATE, and, not being their owner, no way to disable their triggers. The retention purge
 * goes through the SECURITY DEFINER function `audit_purge_details`, which alone may delete
 * details. Run by the migration step as the owner; idempotent.
 */
export async function ensureAppRole(db: Database, role: string): Promise<void> {
  const name = identifier(role)
  if (!(await roleExists(db, role))) {
    try {
      await db.execute(sql.raw(`create role ${name} nologin`))
    } catch (error) {
      // Another process (a parallel test file, a second instance) may have just created it.
      if (await roleExists(db, role)) return ensureAppRole(db, role)
      throw new AppRoleError(
        `Le rôle ${role} n’existe pas et ne peut pas être créé (${(error as Error).message}). Créez-le (CREATE ROLE ${role} NOLOGIN) ou DATABASE_APP_ROLE=none. / role ${role} missing and cannot be created`,
      )
    }
  }
  const audit = AUDIT_TABLES.join(', ')
  const statements = [
    `grant usage on schema public to ${name}`,
    `grant select, insert, update, delete on all tables in schema public to ${name}`,
    `revoke update, delete, truncate on ${audit}, ${LEGACY_AUDIT_TABLES.join(', ')} from ${name}`,
    `grant usage, select on all sequences in schema public to ${name}`,
    `revoke all on function audit_purge_details(integer, uuid) from public`,
    `grant execute on function audit_purge_details(integer, uuid) to ${name}`,
  ]
  for (const statement of statements) {
    await db.execute(sql.raw(statement))
  }
}

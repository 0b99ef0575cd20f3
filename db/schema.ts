import { sql } from 'drizzle-orm'
import { index, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/**
 * First schema. Later issues extend it (accounts, charter, roster, audit).
 * Every tenant table carries `cell_id` in its primary key or an indexed foreign key (DESIGN §4).
 */

export const platformRole = pgEnum('platform_role', ['none', 'platform_admin'])
export const cellRole = pgEnum('cell_role', ['coordinator', 'member', 'associate', 'dpo'])
export const membershipStatus = pgEnum('membership_status', ['invited', 'active', 'suspended', 'removed'])

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  displayName: text('display_name').notNull(),
  profession: text('profession'),
  platformRole: platformRole('platform_role').notNull().default('none'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

/** Lucia-shaped session table; the accounts issue decides hashing of ids (STYLE "Data"). */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [index('sessions_user_id_idx').on(table.userId)],
)

export const cells = pgTable('cells', {
  id: uuid('id').primaryKey().defaultRandom(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  communes: text('communes')
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  hostInstitution: text('host_institution').notNull(),
  dpoContact: text('dpo_contact').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

export const memberships = pgTable(
  'memberships',
  {
    cellId: uuid('cell_id')
      .notNull()
      .references(() => cells.id, { onDelete: 'restrict' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    role: cellRole('role').notNull(),
    status: membershipStatus('status').notNull().default('invited'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [primaryKey({ columns: [table.cellId, table.userId] }), index('memberships_user_id_idx').on(table.userId)],
)

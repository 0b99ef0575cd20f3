import { sql } from 'drizzle-orm'
import { bigint, bigserial, boolean, customType, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { type Charter } from '#charter/schema.ts'

/**
 * First schema. Later issues extend it (accounts, charter, roster, audit).
 * Every tenant table carries `cell_id` in its primary key or an indexed foreign key (DESIGN §4).
 */

export const platformRole = pgEnum('platform_role', ['none', 'platform_admin'])
export const cellRole = pgEnum('cell_role', ['coordinator', 'member', 'associate', 'dpo'])
export const membershipStatus = pgEnum('membership_status', ['invited', 'active', 'suspended', 'removed'])
/** What a person is told at their next visit about a change they did not make (issue 12, item 4). */
export const membershipNotice = pgEnum('membership_notice', ['removed', 'role_changed'])

export const invitationPurpose = pgEnum('invitation_purpose', ['registration', 'account_reset'])

/**
 * An account. The server holds only what DESIGN §6 allows: a hash of the authSecret (never the
 * password), the salt seed and KDF parameters, wrapped keys and public keys.
 */
export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  displayName: text('display_name').notNull(),
  profession: text('profession'),
  rppsNumber: text('rpps_number'),
  adeliNumber: text('adeli_number'),
  platformRole: platformRole('platform_role').notNull().default('none'),
  saltSeed: text('salt_seed').notNull(),
  kdfOpsLimit: integer('kdf_ops_limit').notNull(),
  kdfMemLimitBytes: integer('kdf_mem_limit_bytes').notNull(),
  authSecretHash: text('auth_secret_hash').notNull(),
  recoverySecretHash: text('recovery_secret_hash').notNull(),
  wrappedAccountKey: text('wrapped_account_key').notNull(),
  recoveryWrappedAccountKey: text('recovery_wrapped_account_key').notNull(),
  identityPublic: text('identity_public').notNull(),
  wrappedIdentitySecrets: text('wrapped_identity_secrets').notNull(),
  totpSecret: text('totp_secret'),
  totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true }),
  totpLastStep: bigint('totp_last_step', { mode: 'number' }),
  /** Set by an account reset: the person logs in again but cells must re-admit their new keys. */
  needsReadmissionSince: timestamp('needs_readmission_since', { withTimezone: true }),
  passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

/** One-time links (registration or account reset); only a SHA-256 of the token is stored. */
export const invitations = pgTable('invitations', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  purpose: invitationPurpose('purpose').notNull(),
  /** The account id, fixed in advance: the browser binds its key wraps to it before the account exists. */
  userId: uuid('user_id').notNull(),
  email: text('email').notNull(),
  platformRole: platformRole('platform_role').notNull().default('none'),
  saltSeed: text('salt_seed').notNull(),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
})

/** Instance-wide secrets generated at first start (e.g. the key behind fake salt seeds). */
export const instanceSecrets = pgTable('instance_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

/**
 * Append-only security events (accounts). The tamper-evident journal replaces it later;
 * rows are never updated or deleted (a trigger refuses it).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    type: text('type').notNull(),
    outcome: text('outcome').notNull(),
    actorUserId: uuid('actor_user_id'),
    cellId: uuid('cell_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    ipAddress: text('ip_address'),
  },
  table => [index('audit_events_actor_idx').on(table.actorUserId), index('audit_events_cell_idx').on(table.cellId)],
)

/**
 * Lucia-shaped session table. `id` is the SHA-256 of the cookie token, never the token
 * (docs/decisions/003-lucia-3.md). `expires_at` is the idle deadline set at the last activity,
 * `absolute_expires_at` the cap (12 h, or sooner when a charter says so); validation also checks
 * `last_activity_at` against the limits of the user's charters as they are now (decision 018).
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    absoluteExpiresAt: timestamp('absolute_expires_at', { withTimezone: true }).notNull(),
    mfaVerified: boolean('mfa_verified').notNull().default(false),
    userAgent: text('user_agent').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [index('sessions_user_id_idx').on(table.userId)],
)

export const cells = pgTable('cells', {
  id: uuid('id').primaryKey().defaultRandom(),
  currentCharterVersion: integer('current_charter_version').notNull().default(1),
  habilitationReviewedAt: timestamp('habilitation_reviewed_at', { withTimezone: true }),
  createdBy: uuid('created_by'),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  communes: text('communes')
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  hostInstitution: text('host_institution').notNull(),
  dpoContact: text('dpo_contact').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /** Set when the platform admin archives an empty cell: it leaves the public directory and takes no one in (issue 12). */
  archivedAt: timestamp('archived_at', { withTimezone: true }),
})

/** Every tenant table's `cell_id` (DESIGN §4); cells are never deleted under their data. */
function cellReference() {
  return uuid('cell_id')
    .notNull()
    .references(() => cells.id, { onDelete: 'restrict' })
}

export const memberships = pgTable(
  'memberships',
  {
    cellId: cellReference(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    role: cellRole('role').notNull(),
    status: membershipStatus('status').notNull().default('invited'),
    /** When the member's current identity keys were confirmed in the roster (add or key change). */
    keysConfirmedAt: timestamp('keys_confirmed_at', { withTimezone: true }).notNull().defaultNow(),
    removedAt: timestamp('removed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** A removal or role change the person has not yet been told about (their sessions ended with it). */
    notice: membershipNotice('notice'),
    noticeAt: timestamp('notice_at', { withTimezone: true }),
  },
  table => [primaryKey({ columns: [table.cellId, table.userId] }), index('memberships_user_id_idx').on(table.userId)],
)

/** Every published version of a cell's charter (zod-validated JSON, parsed again on read in db/cells.ts) and its SHA-256. */
export const cellCharters = pgTable(
  'cell_charters',
  {
    cellId: cellReference(),
    version: integer('version').notNull(),
    content: jsonb('content').$type<Charter>().notNull(),
    hash: text('hash').notNull(),
    publishedBy: uuid('published_by'),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [primaryKey({ columns: [table.cellId, table.version] })],
)

/** Ed25519 signature of a charter version by a member's identity key; anyone in the cell can verify it. */
export const charterSignatures = pgTable(
  'charter_signatures',
  {
    cellId: cellReference(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    version: integer('version').notNull(),
    hash: text('hash').notNull(),
    signature: text('signature').notNull(),
    signedAt: timestamp('signed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [primaryKey({ columns: [table.cellId, table.userId, table.version] })],
)

/** The signed roster log (DESIGN §7), stored and served as the clients wrote it. */
export const rosterLinks = pgTable(
  'roster_links',
  {
    cellId: cellReference(),
    seq: integer('seq').notNull(),
    link: text('link').notNull(),
    linkType: text('link_type').notNull(),
    authorId: uuid('author_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [primaryKey({ columns: [table.cellId, table.seq] })],
)

/** Opaque key blobs of a cell: keys sealed to members (cell, index, intake seed), chains to earlier epochs. */
export const cellKeyBlobs = pgTable(
  'cell_key_blobs',
  {
    cellId: cellReference(),
    kind: text('kind').notNull(),
    epoch: integer('epoch').notNull(),
    /** Recipient user id for sealed keys, '' for the cell-wide chains; `epoch` is the intake index for intake seeds. */
    slot: text('slot').notNull().default(''),
    blob: text('blob').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [primaryKey({ columns: [table.cellId, table.kind, table.epoch, table.slot] })],
)

/** The invitee's public keys and proof as stored (base64url); db/cells.ts parses it on read. */
export type StoredInvitationAnswer = { memberId: string; signPublicKey: string; boxPublicKey: string; proof: string; keyChangeSignature?: string }

export const cellInvitationStatus = pgEnum('cell_invitation_status', ['pending', 'answered', 'confirmed', 'cancelled'])
export const cellInvitationKind = pgEnum('cell_invitation_kind', ['founding', 'member', 'readmission'])

/**
 * A person invited into a cell. The code handed over in person never reaches the server; the
 * newcomer's answer carries their public keys and a proof computed with that code.
 */
export const cellInvitations = pgTable(
  'cell_invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    cellId: cellReference(),
    kind: cellInvitationKind('kind').notNull(),
    email: text('email').notNull(),
    role: cellRole('role').notNull(),
    status: cellInvitationStatus('status').notNull().default('pending'),
    createdBy: uuid('created_by'),
    answeredBy: uuid('answered_by'),
    answer: jsonb('answer').$type<StoredInvitationAnswer>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  },
  table => [index('cell_invitations_cell_idx').on(table.cellId)],
)

/* ------------------------------------------------------------------------------------------
 * Journal d'accès (DESIGN §11, research audit-security A.3). Every table below is insert-only:
 * triggers refuse UPDATE, DELETE and TRUNCATE (PGlite and server alike) and on a server the
 * application's role gets INSERT and SELECT only (db/journal/privileges.ts). The one
 * exception is the retention purge of `audit_details`, done by `audit_purge_details()`.
 * ------------------------------------------------------------------------------------------ */

/** xid8 (PostgreSQL ≥ 13), carried as its decimal text so 64-bit values never lose precision. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' })

/**
 * The queue: one row per audit event, written by the request in the same transaction as the
 * authorization decision. `xid` is the writing transaction's id: the sequencer only reads rows
 * below its snapshot's xmin, i.e. of finished transactions, so a late commit is never skipped.
 */
export const auditQueue = pgTable(
  'audit_queue',
  {
    /** Insertion order, the cursor's tie-breaker within one transaction (not a key: few indexes, cheap writes). */
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    xid: xid8('xid').notNull().default(sql`pg_current_xact_id()`),
    eventId: uuid('event_id').primaryKey(),
    occurredAtMs: bigint('occurred_at_ms', { mode: 'number' }).notNull(),
    cellId: uuid('cell_id'),
    action: text('action').notNull(),
    outcome: text('outcome').notNull(),
    /** SHA-256(0x02 ‖ salt ‖ canonical JSON(detail)), lower-case hex. */
    commitment: text('commitment').notNull(),
  },
  table => [index('audit_queue_cursor_idx').on(table.xid, table.id), index('audit_queue_cell_time_idx').on(table.cellId, table.occurredAtMs)],
)

/** The Merkle log's leaves, inserted only by the sequencer: dense index, dense per-cell sequence. */
export const auditLeaves = pgTable(
  'audit_leaves',
  {
    leafIndex: bigint('leaf_index', { mode: 'number' }).primaryKey(),
    eventId: uuid('event_id')
      .notNull()
      .unique()
      .references(() => auditQueue.eventId),
    cellId: uuid('cell_id'),
    cellSeq: bigint('cell_seq', { mode: 'number' }),
    prevCellLeafHash: text('prev_cell_leaf_hash'),
    leafHash: text('leaf_hash').notNull(),
    integratedAt: timestamp('integrated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [uniqueIndex('audit_leaves_cell_seq_idx').on(table.cellId, table.cellSeq)],
)

/**
 * Who, from where, about what, why: personal data kept apart from the tree behind the salted
 * commitment, and deleted with its salt after the retention period (the leaf still verifies).
 */
export const auditDetails = pgTable(
  'audit_details',
  {
    eventId: uuid('event_id').primaryKey(),
    occurredAtMs: bigint('occurred_at_ms', { mode: 'number' }).notNull(),
    cellId: uuid('cell_id'),
    /** Denormalised from the detail for the DPO console's filters. */
    actorUserId: uuid('actor_user_id'),
    resourceKey: text('resource_key'),
    salt: text('salt').notNull(),
    /** Canonical JSON of the event's detail (db/journal/events.ts `auditDetailSchema`, parsed where read). */
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull(),
  },
  // Two indexes only: every audited request writes here. The purge scans by time every few hours.
  table => [index('audit_details_resource_idx').on(table.cellId, table.resourceKey)],
)

/** Roots of the complete, aligned 256-leaf subtrees (tlog tiles at level 8). */
export const auditTiles = pgTable('audit_tiles', {
  tileIndex: bigint('tile_index', { mode: 'number' }).primaryKey(),
  hash: text('hash').notNull(),
})

/** One row per integrated batch; the latest (largest tree size) is the sequencer's state. */
export const auditLogStates = pgTable('audit_log_states', {
  treeSize: bigint('tree_size', { mode: 'number' }).primaryKey(),
  /** The Merkle frontier (db/journal/sequencer.ts parses it with parseFrontier where read). */
  frontier: jsonb('frontier').$type<{ size: number; nodes: string[] }>().notNull(),
  root: text('root').notNull(),
  cursorXid: xid8('cursor_xid').notNull(),
  cursorId: bigint('cursor_id', { mode: 'number' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})

/** Signed checkpoints (C2SP signed notes), kept forever: they hold no personal data. */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  treeSize: bigint('tree_size', { mode: 'number' }).primaryKey(),
  root: text('root').notNull(),
  note: text('note').notNull(),
  keyId: text('key_id').notNull(),
  signedAt: timestamp('signed_at', { withTimezone: true }).notNull().defaultNow(),
})

export const auditReviewStatus = pgEnum('audit_review_status', ['reviewed', 'escalated'])

/** The DPO's decisions on anomaly alerts; the latest row per alert is its state. */
export const auditAlertReviews = pgTable(
  'audit_alert_reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    cellId: uuid('cell_id')
      .notNull()
      .references(() => cells.id),
    alertId: text('alert_id').notNull(),
    status: auditReviewStatus('status').notNull(),
    comment: text('comment').notNull(),
    reviewerUserId: uuid('reviewer_user_id')
      .notNull()
      .references(() => users.id),
    /** The alert's last event the DPO saw when reviewing: events after it in log order reopen the alert (issue 12). */
    reviewedThroughEventId: uuid('reviewed_through_event_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  table => [index('audit_alert_reviews_alert_idx').on(table.cellId, table.alertId)],
)

/**
 * The login throttles' failure counts (app/auth/throttle.server.ts, decision 019), shared by every
 * app process. `key_hash` is the SHA-256 of the throttled key (account email, client address), so
 * the table and its backups hold no list of the addresses tried. A row past `forget_at` counts for
 * nothing and is purged.
 */
export const throttleCounters = pgTable(
  'throttle_counters',
  {
    scope: text('scope').notNull(),
    keyHash: text('key_hash').notNull(),
    failures: integer('failures').notNull(),
    blockedUntil: timestamp('blocked_until', { withTimezone: true }).notNull(),
    lastFailureAt: timestamp('last_failure_at', { withTimezone: true }).notNull(),
    forgetAt: timestamp('forget_at', { withTimezone: true }).notNull(),
  },
  table => [primaryKey({ columns: [table.scope, table.keyHash] }), index('throttle_counters_forget_at_idx').on(table.forgetAt)],
)

/**
 * Each account's roster pins, synced between its devices (issue 13 item 5, decision 022): one
 * AEAD blob under a key derived from the account key, so the server sees its size and counter only.
 * The counter only grows: a write with a lower or equal one is refused (two tabs must not lose pins).
 */
export const rosterPinSets = pgTable('roster_pin_sets', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  counter: integer('counter').notNull(),
  blob: text('blob').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})

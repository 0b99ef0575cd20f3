-- The journal's integrity, enforced by the database itself (review of issue 6): whoever can INSERT
-- into the audit tables (the app role, an SQL injection through it) can only append what the
-- sequencer would have appended. Every check runs AFTER the statement's rows exist, so a batch
-- inserted in one statement is checked as a whole.

-- 1. The queue: the transaction id is the writer's own (no row slipped behind the cursor), and the
--    fields have the shapes the leaf format allows.
CREATE OR REPLACE FUNCTION audit_queue_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.xid IS DISTINCT FROM pg_current_xact_id() THEN
    RAISE EXCEPTION 'audit_queue: xid must be the writing transaction''s' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.action !~ '^[a-z_]+(\.[a-z_]+)+$' OR NEW.outcome NOT IN ('success', 'failure', 'denied')
     OR NEW.commitment !~ '^[0-9a-f]{64}$' OR NEW.occurred_at_ms < 0 OR NEW.occurred_at_ms > 9007199254740991 THEN
    RAISE EXCEPTION 'audit_queue: malformed event' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_queue_check BEFORE INSERT ON audit_queue FOR EACH ROW EXECUTE FUNCTION audit_queue_check();
--> statement-breakpoint
-- 2. Details only with their event, in the event's own transaction: a purged detail cannot be
--    written back, nor a detail invented for someone else's event.
CREATE OR REPLACE FUNCTION audit_details_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_queue q WHERE q.event_id = NEW.event_id AND q.xid = pg_current_xact_id()
                 AND q.occurred_at_ms = NEW.occurred_at_ms AND q.cell_id IS NOT DISTINCT FROM NEW.cell_id) THEN
    RAISE EXCEPTION 'audit_details: a detail is written with its event, in the same transaction' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_details_check AFTER INSERT ON audit_details FOR EACH ROW EXECUTE FUNCTION audit_details_check();
--> statement-breakpoint
-- 3. Leaves: the hash of the canonical leaf (db/audit-log/README.md) of a real queued event, dense
--    index, in queue order, dense per-cell sequence chained to the previous leaf of the cell.
CREATE OR REPLACE FUNCTION audit_leaf_bytes(q audit_queue, cell_seq bigint, prev_hash text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_to(
    E'cellule-audit/v1\n' || format('{"action":%s,"cellId":%s,"cellSeq":%s,"commitment":%s,"eventId":%s,"occurredAtMs":%s,"outcome":%s,"prevCellLeafHash":%s,"v":1}',
      to_json(q.action)::text,
      coalesce(to_json(q.cell_id::text)::text, 'null'),
      coalesce(cell_seq::text, 'null'),
      to_json(q.commitment)::text,
      to_json(q.event_id::text)::text,
      q.occurred_at_ms::text,
      to_json(q.outcome)::text,
      coalesce(to_json(prev_hash)::text, 'null')),
    'UTF8')
$$;
--> statement-breakpoint
-- Checked per statement on the batch as a whole (set-based: the sequencer inserts thousands at once).
CREATE OR REPLACE FUNCTION audit_leaves_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  first_index bigint;
  last_index bigint;
  batch_size bigint;
  previous_xid xid8 := '0'::xid8;
  previous_id bigint := 0;
  last_xid xid8;
  last_id bigint;
BEGIN
  SELECT min(leaf_index), max(leaf_index), count(*) INTO first_index, last_index, batch_size FROM new_leaves;
  IF batch_size = 0 THEN
    RETURN NULL;
  END IF;
  -- Each leaf is the hash of the canonical leaf of a queued event of a finished transaction.
  IF EXISTS (SELECT 1 FROM new_leaves n LEFT JOIN audit_queue q ON q.event_id = n.event_id
             WHERE q.event_id IS NULL OR q.cell_id IS DISTINCT FROM n.cell_id
                OR q.xid >= pg_snapshot_xmin(pg_current_snapshot())
                OR n.leaf_hash IS DISTINCT FROM encode(sha256('\x00'::bytea || audit_leaf_bytes(q, n.cell_seq, n.prev_cell_leaf_hash)), 'hex')) THEN
    RAISE EXCEPTION 'audit_leaves: a leaf is not the hash of its event (or seals an event above the horizon)' USING ERRCODE = 'check_violation';
  END IF;
  -- Dense indexes continuing the tree (the primary key forbids duplicates).
  IF last_index - first_index + 1 <> batch_size OR (first_index > 0 AND NOT EXISTS (SELECT 1 FROM audit_leaves WHERE leaf_index = first_index - 1)) THEN
    RAISE EXCEPTION 'audit_leaves: leaves out of order or not dense' USING ERRCODE = 'check_violation';
  END IF;
  -- In queue order, none skipped: every visible queued event up to the last one has its leaf.
  IF first_index > 0 THEN
    SELECT q.xid, q.id INTO previous_xid, previous_id FROM audit_leaves l JOIN audit_queue q ON q.event_id = l.event_id WHERE l.leaf_index = first_index - 1;
  END IF;
  SELECT q.xid, q.id INTO last_xid, last_id FROM audit_leaves l JOIN audit_queue q ON q.event_id = l.event_id WHERE l.leaf_index = last_index;
  IF EXISTS (SELECT 1 FROM (
               SELECT n.leaf_index, q.xid, q.id, lag(q.xid) OVER w AS prior_xid, lag(q.id) OVER w AS prior_id
               FROM new_leaves n JOIN audit_queue q ON q.event_id = n.event_id WINDOW w AS (ORDER BY n.leaf_index)) ordered
             WHERE (coalesce(ordered.prior_xid, previous_xid), coalesce(ordered.prior_id, previous_id)) >= (ordered.xid, ordered.id))
     OR EXISTS (SELECT 1 FROM audit_queue x
                WHERE (x.xid, x.id) > (previous_xid, previous_id) AND (x.xid, x.id) <= (last_xid, last_id)
                  AND NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.event_id = x.event_id)) THEN
    RAISE EXCEPTION 'audit_leaves: leaves out of queue order, or a queued event skipped' USING ERRCODE = 'check_violation';
  END IF;
  -- Each cell's sequence is dense and chained to its previous leaf.
  IF EXISTS (SELECT 1 FROM new_leaves n LEFT JOIN audit_leaves p ON p.cell_id = n.cell_id AND p.cell_seq = n.cell_seq - 1
             WHERE (n.cell_id IS NULL AND (n.cell_seq IS NOT NULL OR n.prev_cell_leaf_hash IS NOT NULL))
                OR (n.cell_id IS NOT NULL AND (n.cell_seq IS NULL OR n.cell_seq < 1))
                OR (n.cell_seq = 1 AND n.prev_cell_leaf_hash IS NOT NULL)
                OR (n.cell_seq > 1 AND (p.leaf_hash IS NULL OR p.leaf_hash IS DISTINCT FROM n.prev_cell_leaf_hash))) THEN
    RAISE EXCEPTION 'audit_leaves: a leaf breaks its cell''s chain' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_leaves_check AFTER INSERT ON audit_leaves REFERENCING NEW TABLE AS new_leaves FOR EACH STATEMENT EXECUTE FUNCTION audit_leaves_check();
--> statement-breakpoint
-- 4. Log states: the tree size is the number of leaves, the cursor is the last leaf's queue
--    position, no queued event up to it lacks a leaf, and it is below every running transaction.
CREATE OR REPLACE FUNCTION audit_log_states_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_xid xid8;
  last_id bigint;
  previous_xid xid8 := '0'::xid8;
  previous_id bigint := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_leaves WHERE leaf_index = NEW.tree_size - 1) OR EXISTS (SELECT 1 FROM audit_leaves WHERE leaf_index = NEW.tree_size) THEN
    RAISE EXCEPTION 'audit_log_states: tree size % is not the number of leaves', NEW.tree_size USING ERRCODE = 'check_violation';
  END IF;
  SELECT q.xid, q.id INTO last_xid, last_id FROM audit_leaves l JOIN audit_queue q ON q.event_id = l.event_id WHERE l.leaf_index = NEW.tree_size - 1;
  IF (last_xid, last_id) IS DISTINCT FROM (NEW.cursor_xid, NEW.cursor_id) OR NEW.cursor_xid >= pg_snapshot_xmin(pg_current_snapshot()) THEN
    RAISE EXCEPTION 'audit_log_states: cursor is not the last leaf''s position below the horizon' USING ERRCODE = 'check_violation';
  END IF;
  SELECT s.cursor_xid, s.cursor_id INTO previous_xid, previous_id FROM audit_log_states s WHERE s.tree_size < NEW.tree_size ORDER BY s.tree_size DESC LIMIT 1;
  IF NOT FOUND THEN
    previous_xid := '0'::xid8;
    previous_id := 0;
  END IF;
  IF EXISTS (SELECT 1 FROM audit_log_states WHERE tree_size > NEW.tree_size)
     OR EXISTS (SELECT 1 FROM audit_queue q
                WHERE (q.xid, q.id) > (previous_xid, previous_id)
                  AND (q.xid, q.id) <= (NEW.cursor_xid, NEW.cursor_id)
                  AND NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.event_id = q.event_id)) THEN
    RAISE EXCEPTION 'audit_log_states: a queued event before the cursor has no leaf' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_states_check AFTER INSERT ON audit_log_states FOR EACH ROW EXECUTE FUNCTION audit_log_states_check();
--> statement-breakpoint
-- 5. Tiles: the Merkle root of 256 existing leaves.
CREATE OR REPLACE FUNCTION audit_tiles_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  level bytea[];
  next_level bytea[];
  i int;
BEGIN
  SELECT array_agg(decode(leaf_hash, 'hex') ORDER BY leaf_index) INTO level
    FROM audit_leaves WHERE leaf_index >= NEW.tile_index * 256 AND leaf_index < (NEW.tile_index + 1) * 256;
  IF coalesce(array_length(level, 1), 0) <> 256 THEN
    RAISE EXCEPTION 'audit_tiles: tile % is not complete', NEW.tile_index USING ERRCODE = 'check_violation';
  END IF;
  WHILE array_length(level, 1) > 1 LOOP
    next_level := ARRAY[]::bytea[];
    FOR i IN 1 .. array_length(level, 1) BY 2 LOOP
      next_level := next_level || sha256('\x01'::bytea || level[i] || level[i + 1]);
    END LOOP;
    level := next_level;
  END LOOP;
  IF encode(level[1], 'hex') IS DISTINCT FROM NEW.hash THEN
    RAISE EXCEPTION 'audit_tiles: tile % root does not match its leaves', NEW.tile_index USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_tiles_check AFTER INSERT ON audit_tiles FOR EACH ROW EXECUTE FUNCTION audit_tiles_check();
--> statement-breakpoint
-- 6. Checkpoints: for a size and root the log reached (the signature itself is checked by the
--    application, which ignores notes its key did not sign).
CREATE OR REPLACE FUNCTION audit_checkpoints_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_log_states s WHERE s.tree_size = NEW.tree_size AND s.root = NEW.root) THEN
    RAISE EXCEPTION 'audit_checkpoints: size % and root were never reached', NEW.tree_size USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_check AFTER INSERT ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_check();
--> statement-breakpoint
-- The purge function is for the app role only (granted by ensureAppRole), never for PUBLIC.
REVOKE ALL ON FUNCTION audit_purge_details(bigint) FROM PUBLIC;

CREATE TYPE "public"."audit_review_status" AS ENUM('reviewed', 'escalated');--> statement-breakpoint
CREATE TABLE "audit_alert_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cell_id" uuid NOT NULL,
	"alert_id" text NOT NULL,
	"status" "audit_review_status" NOT NULL,
	"comment" text NOT NULL,
	"reviewer_user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_checkpoints" (
	"tree_size" bigint PRIMARY KEY NOT NULL,
	"root" text NOT NULL,
	"note" text NOT NULL,
	"key_id" text NOT NULL,
	"signed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_details" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"occurred_at_ms" bigint NOT NULL,
	"cell_id" uuid,
	"actor_user_id" uuid,
	"resource_key" text,
	"salt" text NOT NULL,
	"detail" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_leaves" (
	"leaf_index" bigint PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"cell_id" uuid,
	"cell_seq" bigint,
	"prev_cell_leaf_hash" text,
	"leaf_hash" text NOT NULL,
	"integrated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_leaves_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "audit_log_states" (
	"tree_size" bigint PRIMARY KEY NOT NULL,
	"frontier" jsonb NOT NULL,
	"root" text NOT NULL,
	"cursor_xid" "xid8" NOT NULL,
	"cursor_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_queue" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "audit_queue_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"event_id" uuid PRIMARY KEY NOT NULL,
	"occurred_at_ms" bigint NOT NULL,
	"cell_id" uuid,
	"action" text NOT NULL,
	"outcome" text NOT NULL,
	"commitment" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_tiles" (
	"tile_index" bigint PRIMARY KEY NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_alert_reviews" ADD CONSTRAINT "audit_alert_reviews_cell_id_cells_id_fk" FOREIGN KEY ("cell_id") REFERENCES "public"."cells"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_alert_reviews" ADD CONSTRAINT "audit_alert_reviews_reviewer_user_id_users_id_fk" FOREIGN KEY ("reviewer_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_leaves" ADD CONSTRAINT "audit_leaves_event_id_audit_queue_event_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."audit_queue"("event_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_alert_reviews_alert_idx" ON "audit_alert_reviews" USING btree ("cell_id","alert_id");--> statement-breakpoint
CREATE INDEX "audit_details_resource_idx" ON "audit_details" USING btree ("cell_id","resource_key");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_leaves_cell_seq_idx" ON "audit_leaves" USING btree ("cell_id","cell_seq");--> statement-breakpoint
CREATE INDEX "audit_queue_cursor_idx" ON "audit_queue" USING btree ("xid","id");--> statement-breakpoint
CREATE INDEX "audit_queue_cell_time_idx" ON "audit_queue" USING btree ("cell_id","occurred_at_ms");--> statement-breakpoint
-- Journal d'accès: every audit table is insert-only, for every role (superuser and PGlite included).
-- The only deletion is the retention purge of audit_details, through audit_purge_details() below.
CREATE OR REPLACE FUNCTION refuse_audit_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_details' AND current_setting('cellule.audit_purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the audit log is append-only (% on % refused)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
DO $$
DECLARE
  audit_table text;
BEGIN
  FOREACH audit_table IN ARRAY ARRAY['audit_queue', 'audit_leaves', 'audit_details', 'audit_tiles', 'audit_log_states', 'audit_checkpoints', 'audit_alert_reviews'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION refuse_audit_log_change()', audit_table || '_append_only', audit_table);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_log_change()', audit_table || '_no_truncate', audit_table);
  END LOOP;
END
$$;
--> statement-breakpoint
-- Retention: deletes the details (and their salts) of events older than the cutoff, never younger
-- than 6 months (the legal floor of the configured 6–12). SECURITY DEFINER so that on a server the
-- application's role, which has no DELETE on audit tables, can run this and only this.
CREATE OR REPLACE FUNCTION audit_purge_details(cutoff_ms bigint) RETURNS TABLE (purged bigint, first_ms bigint, last_ms bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  floor_ms bigint := (extract(epoch FROM (now() - interval '6 months')) * 1000)::bigint;
BEGIN
  IF cutoff_ms > floor_ms THEN
    RAISE EXCEPTION 'audit details are kept at least 6 months (cutoff % is after %)', cutoff_ms, floor_ms USING ERRCODE = 'check_violation';
  END IF;
  PERFORM set_config('cellule.audit_purge', 'on', true);
  RETURN QUERY WITH gone AS (DELETE FROM audit_details WHERE occurred_at_ms < cutoff_ms RETURNING occurred_at_ms)
    SELECT count(*)::bigint, min(gone.occurred_at_ms)::bigint, max(gone.occurred_at_ms)::bigint FROM gone;
  PERFORM set_config('cellule.audit_purge', 'off', true);
END
$$;

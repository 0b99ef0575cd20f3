-- Retention (review of issue 6): the cutoff is computed here, in UTC calendar months, from the
-- retention itself (6 to 12 months), so the application's clock and calendar arithmetic can never
-- disagree with the database's floor; `only_cell` purges one cell whose charter keeps details
-- shorter than the platform does.
DROP FUNCTION IF EXISTS audit_purge_details(bigint);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_purge_details(retention_months integer, only_cell uuid DEFAULT NULL)
RETURNS TABLE (purged bigint, first_ms bigint, last_ms bigint, cutoff_ms bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET timezone = 'UTC' AS $$
DECLARE
  cutoff bigint;
BEGIN
  IF retention_months IS NULL OR retention_months < 6 OR retention_months > 12 THEN
    RAISE EXCEPTION 'audit details are kept 6 to 12 months (asked: %)', retention_months USING ERRCODE = 'check_violation';
  END IF;
  cutoff := (extract(epoch FROM (now() - make_interval(months => retention_months))) * 1000)::bigint;
  PERFORM set_config('cellule.audit_purge', 'on', true);
  RETURN QUERY WITH gone AS (
      DELETE FROM audit_details WHERE occurred_at_ms < cutoff AND (only_cell IS NULL OR cell_id = only_cell) RETURNING occurred_at_ms)
    SELECT count(*)::bigint, min(gone.occurred_at_ms)::bigint, max(gone.occurred_at_ms)::bigint, cutoff FROM gone;
  PERFORM set_config('cellule.audit_purge', 'off', true);
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_purge_details(integer, uuid) FROM PUBLIC;

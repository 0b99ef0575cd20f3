ALTER TABLE "audit_alert_reviews" ADD COLUMN "reviewed_through_event_id" uuid;--> statement-breakpoint
ALTER TABLE "cells" ADD COLUMN "archived_at" timestamp with time zone;
CREATE TYPE "public"."membership_notice" AS ENUM('removed', 'role_changed');--> statement-breakpoint
ALTER TABLE "memberships" ADD COLUMN "notice" "membership_notice";--> statement-breakpoint
ALTER TABLE "memberships" ADD COLUMN "notice_at" timestamp with time zone;
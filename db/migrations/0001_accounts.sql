CREATE TYPE "public"."invitation_purpose" AS ENUM('registration', 'account_reset');--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"type" text NOT NULL,
	"outcome" text NOT NULL,
	"actor_user_id" uuid,
	"cell_id" uuid,
	"data" jsonb NOT NULL,
	"ip_address" text
);
--> statement-breakpoint
CREATE TABLE "instance_secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invitations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"purpose" "invitation_purpose" NOT NULL,
	"user_id" uuid NOT NULL,
	"email" text NOT NULL,
	"platform_role" "platform_role" DEFAULT 'none' NOT NULL,
	"salt_seed" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "invitations_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "absolute_expires_at" timestamp with time zone NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "mfa_verified" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "user_agent" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "rpps_number" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "adeli_number" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "salt_seed" text NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "kdf_ops_limit" integer NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "kdf_mem_limit_bytes" integer NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "auth_secret_hash" text NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "recovery_secret_hash" text NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "wrapped_account_key" text NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "recovery_wrapped_account_key" text NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "identity_public" text NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "wrapped_identity_secrets" text NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "totp_secret" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "totp_enabled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "totp_last_step" bigint;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "needs_readmission_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "password_changed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor_user_id");--> statement-breakpoint
CREATE INDEX "audit_events_cell_idx" ON "audit_events" USING btree ("cell_id");
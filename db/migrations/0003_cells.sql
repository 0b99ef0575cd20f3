CREATE TYPE "public"."cell_invitation_kind" AS ENUM('founding', 'member', 'readmission');--> statement-breakpoint
CREATE TYPE "public"."cell_invitation_status" AS ENUM('pending', 'answered', 'confirmed', 'cancelled');--> statement-breakpoint
CREATE TABLE "cell_charters" (
	"cell_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"content" jsonb NOT NULL,
	"hash" text NOT NULL,
	"published_by" uuid,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cell_charters_cell_id_version_pk" PRIMARY KEY("cell_id","version")
);
--> statement-breakpoint
CREATE TABLE "cell_invitations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cell_id" uuid NOT NULL,
	"kind" "cell_invitation_kind" NOT NULL,
	"email" text NOT NULL,
	"role" "cell_role" NOT NULL,
	"status" "cell_invitation_status" DEFAULT 'pending' NOT NULL,
	"created_by" uuid,
	"answered_by" uuid,
	"answer" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"confirmed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "cell_key_blobs" (
	"cell_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"epoch" integer NOT NULL,
	"slot" text DEFAULT '' NOT NULL,
	"blob" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cell_key_blobs_cell_id_kind_epoch_slot_pk" PRIMARY KEY("cell_id","kind","epoch","slot")
);
--> statement-breakpoint
CREATE TABLE "charter_signatures" (
	"cell_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"hash" text NOT NULL,
	"signature" text NOT NULL,
	"signed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "charter_signatures_cell_id_user_id_version_pk" PRIMARY KEY("cell_id","user_id","version")
);
--> statement-breakpoint
CREATE TABLE "roster_links" (
	"cell_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"link" text NOT NULL,
	"link_type" text NOT NULL,
	"author_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "roster_links_cell_id_seq_pk" PRIMARY KEY("cell_id","seq")
);
--> statement-breakpoint
ALTER TABLE "cells" ADD COLUMN "current_charter_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "cells" ADD COLUMN "habilitation_reviewed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cells" ADD COLUMN "created_by" uuid;--> statement-breakpoint
ALTER TABLE "memberships" ADD COLUMN "keys_confirmed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "memberships" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cell_charters" ADD CONSTRAINT "cell_charters_cell_id_cells_id_fk" FOREIGN KEY ("cell_id") REFERENCES "public"."cells"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cell_invitations" ADD CONSTRAINT "cell_invitations_cell_id_cells_id_fk" FOREIGN KEY ("cell_id") REFERENCES "public"."cells"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cell_key_blobs" ADD CONSTRAINT "cell_key_blobs_cell_id_cells_id_fk" FOREIGN KEY ("cell_id") REFERENCES "public"."cells"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "charter_signatures" ADD CONSTRAINT "charter_signatures_cell_id_cells_id_fk" FOREIGN KEY ("cell_id") REFERENCES "public"."cells"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "charter_signatures" ADD CONSTRAINT "charter_signatures_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_links" ADD CONSTRAINT "roster_links_cell_id_cells_id_fk" FOREIGN KEY ("cell_id") REFERENCES "public"."cells"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cell_invitations_cell_idx" ON "cell_invitations" USING btree ("cell_id");
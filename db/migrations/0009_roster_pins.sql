CREATE TABLE "roster_pin_sets" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"counter" integer NOT NULL,
	"blob" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "roster_pin_sets" ADD CONSTRAINT "roster_pin_sets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
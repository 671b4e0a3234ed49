ALTER TABLE "order_lines" ADD COLUMN "version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "order_lines" ADD COLUMN "voided_reason" text;--> statement-breakpoint
ALTER TABLE "order_lines" ADD COLUMN "voided_at" timestamp with time zone;
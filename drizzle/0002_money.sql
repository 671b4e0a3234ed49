CREATE TABLE "ledger_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"provider" text NOT NULL,
	"checkout_id" text NOT NULL,
	"order_ids" jsonb NOT NULL,
	"payment_id" text NOT NULL,
	"refund_id" text,
	"transaction_id" text NOT NULL,
	"amount_fen" integer NOT NULL,
	"memo" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"checkout_id" text NOT NULL,
	"order_ids" jsonb NOT NULL,
	"provider" text NOT NULL,
	"transaction_id" text NOT NULL,
	"amount_fen" integer NOT NULL,
	"outcome" text NOT NULL,
	"source" text NOT NULL,
	"payer_id" text,
	"paid_at" timestamp with time zone NOT NULL,
	"refunded_fen" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"bill_date" text NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	"matched" integer NOT NULL,
	"provider_only" integer NOT NULL,
	"local_only" integer NOT NULL,
	"amount_mismatch" integer NOT NULL,
	"bill_fen" integer NOT NULL,
	"ledger_fen" integer NOT NULL,
	"report" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"checkout_id" text NOT NULL,
	"order_id" text,
	"provider" text NOT NULL,
	"transaction_id" text NOT NULL,
	"amount_fen" integer NOT NULL,
	"reason" text NOT NULL,
	"lines" jsonb,
	"state" text NOT NULL,
	"provider_state" text,
	"provider_refund_id" text,
	"attempts" integer NOT NULL,
	"last_error" text,
	"requested_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"succeeded_at" timestamp with time zone,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ledger_entries_store_at_idx" ON "ledger_entries" USING btree ("store_id","at");--> statement-breakpoint
CREATE INDEX "ledger_entries_provider_at_idx" ON "ledger_entries" USING btree ("provider","at");--> statement-breakpoint
CREATE INDEX "ledger_entries_checkout_idx" ON "ledger_entries" USING btree ("checkout_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_provider_transaction_idx" ON "payments" USING btree ("provider","transaction_id");--> statement-breakpoint
CREATE INDEX "payments_store_paid_idx" ON "payments" USING btree ("store_id","paid_at");--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_runs_provider_day_idx" ON "reconciliation_runs" USING btree ("provider","bill_date");--> statement-breakpoint
CREATE INDEX "refunds_store_created_idx" ON "refunds" USING btree ("store_id","created_at");
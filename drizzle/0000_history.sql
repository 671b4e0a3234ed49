CREATE TABLE "order_events" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"store_id" text NOT NULL,
	"version" integer NOT NULL,
	"event" text NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"actor" text NOT NULL,
	"actor_id" text NOT NULL,
	"reason" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_lines" (
	"order_id" text NOT NULL,
	"line_no" integer NOT NULL,
	"item_id" text NOT NULL,
	"sku_id" text NOT NULL,
	"name" text NOT NULL,
	"sku_name" text NOT NULL,
	"option_names" jsonb NOT NULL,
	"qty" integer NOT NULL,
	"unit_price_fen" integer NOT NULL,
	"unit_paid_fen" integer NOT NULL,
	"line_total_fen" integer NOT NULL,
	"station" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	CONSTRAINT "order_lines_order_id_line_no_pk" PRIMARY KEY("order_id","line_no")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"mode" text NOT NULL,
	"state" text NOT NULL,
	"paid" boolean NOT NULL,
	"pay_mode" text NOT NULL,
	"pickup_no" text NOT NULL,
	"table_key" text,
	"table_label" text,
	"session_id" text,
	"round_no" integer,
	"diner_id" text,
	"total_fen" integer NOT NULL,
	"items_fen" integer NOT NULL,
	"discount_fen" integer NOT NULL,
	"fees_fen" integer NOT NULL,
	"price_steps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "order_events_order_version_idx" ON "order_events" USING btree ("order_id","version");--> statement-breakpoint
CREATE INDEX "order_events_store_at_idx" ON "order_events" USING btree ("store_id","at");--> statement-breakpoint
CREATE INDEX "order_lines_item_idx" ON "order_lines" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "orders_store_created_idx" ON "orders" USING btree ("store_id","created_at");--> statement-breakpoint
CREATE INDEX "orders_store_state_idx" ON "orders" USING btree ("store_id","state");--> statement-breakpoint
CREATE INDEX "orders_session_idx" ON "orders" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "orders_diner_created_idx" ON "orders" USING btree ("diner_id","created_at");
ALTER TABLE "replication_window" ADD COLUMN "scheduled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "replication_window" ADD COLUMN "interrupted" text;--> statement-breakpoint
CREATE INDEX "replication_window_scheduled_ended_at" ON "replication_window" USING btree ("scheduled","ended_at");
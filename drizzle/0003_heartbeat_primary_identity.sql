ALTER TABLE "replication_heartbeat" ADD COLUMN "system_identifier" text;--> statement-breakpoint
ALTER TABLE "replication_heartbeat" ADD COLUMN "timeline" integer;
CREATE TABLE "replication_heartbeat" (
	"prober" text PRIMARY KEY NOT NULL,
	"sequence" bigint NOT NULL,
	"beat_at" timestamp with time zone NOT NULL
);

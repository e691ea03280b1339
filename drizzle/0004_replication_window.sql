CREATE TABLE "replication_window" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "replication_window_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"prober" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	"ok" boolean NOT NULL,
	"interval_ms" integer NOT NULL,
	"threshold_ms" integer NOT NULL,
	"beats_at" jsonb NOT NULL,
	"replicas" jsonb NOT NULL,
	"failures" jsonb NOT NULL,
	"events" jsonb NOT NULL,
	"slots" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "replication_window_ended_at" ON "replication_window" USING btree ("ended_at");
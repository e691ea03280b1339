import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

// The API's names are the columns' names: the country the API reads and
// writes is a row of this table, and its request schema is derived from it
// (functions/schemas.ts). The checks repeat that validation so that no
// client, psql included, can store what the API would refuse.
export const country = pgTable(
  'country',
  {
    two_letter: text().primaryKey(),
    name: text().notNull(),
    country_id: integer().notNull().unique('country_country_id_key'),
  },
  (table) => [
    check('country_two_letter_format', sql`${table.two_letter} ~ '^[A-Z]{2}$'`),
    check(
      'country_name_length',
      sql`char_length(${table.name}) between 1 and 100 and ${table.name} = btrim(${table.name})`,
    ),
    check('country_name_no_control_chars', sql`${table.name} !~ '[[:cntrl:]]'`),
    check('country_id_range', sql`${table.country_id} between 1 and 999`),
  ],
);

/** Which field of a country each unique or check constraint guards (for 409 and 400 answers). */
export const CONSTRAINT_FIELDS: Record<string, keyof typeof country.$inferSelect> = {
  country_pkey: 'two_letter',
  country_country_id_key: 'country_id',
  country_two_letter_format: 'two_letter',
  country_id_range: 'country_id',
  country_name_length: 'name',
  country_name_no_control_chars: 'name',
};

// One row per prober (the deployment's service name), upserted by every
// heartbeat of the replication check, so the table never grows. It remembers
// which primary wrote it (system_identifier, timeline): a change between two
// heartbeats is a failover.
export const replicationHeartbeat = pgTable('replication_heartbeat', {
  prober: text('prober').primaryKey(),
  sequence: bigint('sequence', { mode: 'number' }).notNull(),
  beatAt: timestamp('beat_at', { withTimezone: true }).notNull(),
  systemIdentifier: text('system_identifier'),
  timeline: integer('timeline'),
});

/** One replica's figures in a stored window; `lags` has one entry per heartbeat (null: unchecked). */
export interface WindowReplica {
  endpoint: string;
  ok: boolean;
  role: string;
  application_name: string | null;
  samples: number;
  seen: number;
  lags: (number | null)[];
  lag_ms: Record<'last' | 'p50' | 'p90' | 'p99' | 'max', number | null>;
  replay_lsn: string | null;
  timeline: number | null;
  failures: { type: string; detail: string }[];
}

// Every sampling window, one row each (written in one statement that also
// prunes rows older than REPLICATION_HISTORY_HOURS, and callers' windows past
// the newest few): what the live page charts, the same whichever instance
// serves it, kept across restarts.
export const replicationWindow = pgTable(
  'replication_window',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    prober: text().notNull(),
    /** The scheduled prober's window (replicationCheck target); false: a caller's (api target). */
    scheduled: boolean().notNull().default(false),
    /** Why it ended before its last heartbeat was measured (the caller left, shutdown); null if it did not. */
    interrupted: text(),
    started_at: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    ended_at: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    ok: boolean().notNull(),
    interval_ms: integer().notNull(),
    threshold_ms: integer().notNull(),
    /** When each heartbeat was written, epoch ms. */
    beats_at: jsonb().$type<number[]>().notNull(),
    replicas: jsonb().$type<WindowReplica[]>().notNull(),
    failures: jsonb().$type<{ type: string; detail: string; endpoint?: string }[]>().notNull(),
    events: jsonb().$type<{ type: string; detail: string }[]>().notNull(),
    slots: jsonb().$type<Record<string, unknown>[]>().notNull(),
  },
  (table) => [
    index('replication_window_ended_at').on(table.ended_at),
    index('replication_window_scheduled_ended_at').on(table.scheduled, table.ended_at),
  ],
);

import { eq, sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import { replicationHeartbeat as heartbeat } from './schema.js';
import { rawStatement } from './statements.js';

// The primary's timeline, from the name of its current WAL file.
const primaryTimeline = sql<number>`('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int`;
const systemIdentifier = sql<string>`(select system_identifier::text from pg_control_system())`;

/**
 * On the primary: bumps this prober's row, stamped with the primary's
 * identity, and returns the new sequence with the identity the row had before
 * (the previous heartbeat's primary), in one statement.
 */
export const beatQuery = (db: PostgresJsDatabase) => {
  const previous = db.$with('previous').as(
    db
      .select({ systemIdentifier: heartbeat.systemIdentifier, timeline: heartbeat.timeline })
      .from(heartbeat)
      .where(eq(heartbeat.prober, sql.placeholder('prober'))),
  );
  return db
    .with(previous)
    .insert(heartbeat)
    .values({
      prober: sql.placeholder('prober'),
      sequence: 1,
      beatAt: sql`now()`,
      systemIdentifier,
      timeline: primaryTimeline,
    })
    .onConflictDoUpdate({
      target: heartbeat.prober,
      set: {
        sequence: sql`${heartbeat.sequence} + 1`,
        beatAt: sql`now()`,
        systemIdentifier: sql`excluded.system_identifier`,
        timeline: sql`excluded.timeline`,
      },
    })
    .returning({
      sequence: heartbeat.sequence,
      systemIdentifier: heartbeat.systemIdentifier,
      timeline: heartbeat.timeline,
      previousSystemIdentifier: sql<string | null>`(select system_identifier from previous)`,
      previousTimeline: sql<number | null>`(select timeline from previous)`,
    })
    .prepare('heartbeat_beat');
};

export interface SeenRow {
  sequence: string | null;
  replayLsn: string | null;
  receiveLsn: string | null;
  replayPaused: boolean;
  receiverStatus: string | null;
}

/**
 * On a replica: the prober's sequence as this statement's snapshot sees it,
 * with what the replica is doing: its replay position, whether replay is
 * paused, and its WAL receiver's state (its own view, not the primary's).
 * The sampling window's poll: it runs up to a thousand times a second, on
 * an open transaction, and maps no columns through Drizzle.
 */
export const seenQuery = (db: PostgresJsDatabase) =>
  rawStatement<SeenRow>(
    db,
    'heartbeat_seen',
    sql`select h.sequence::text as "sequence",
               pg_last_wal_replay_lsn()::text as "replayLsn",
               pg_last_wal_receive_lsn()::text as "receiveLsn",
               pg_is_in_recovery() and pg_get_wal_replay_pause_state() <> 'not paused' as "replayPaused",
               (select status from pg_stat_wal_receiver) as "receiverStatus"
        from (select 1) as one
        left join replication_heartbeat h on h.prober = ${sql.placeholder('prober')}`,
  );

/** Every prober's latest heartbeat, and (on the primary) how old it is. */
export const latestBeatsQuery = (db: PostgresJsDatabase) =>
  db
    .select({
      prober: heartbeat.prober,
      sequence: heartbeat.sequence,
      ageMs: sql<number>`(extract(epoch from now() - ${heartbeat.beatAt}) * 1000)::float8`,
    })
    .from(heartbeat)
    .prepare('heartbeat_latest');

/** Whether this database has the heartbeat table (a probe of another cluster may not). */
export const hasHeartbeatTable = async (sql: Sql) =>
  (
    await sql<
      { present: boolean }[]
    >`select to_regclass('replication_heartbeat') is not null as present`
  )[0]?.present === true;

/**
 * Just the heartbeat table, for a probe of a cluster this service never
 * migrated: the columns the migrations give it (test/probe.test.ts compares).
 */
export const createHeartbeatTable = (sql: Sql) => sql`
  create table if not exists replication_heartbeat (
    prober text primary key not null,
    sequence bigint not null,
    beat_at timestamp with time zone not null,
    system_identifier text,
    timeline integer
  )`;

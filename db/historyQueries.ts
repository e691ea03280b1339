import { sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { WindowReplica } from './schema.js';
import { rawStatement } from './statements.js';

/** A window as the history reads it back. */
export interface StoredWindow {
  prober: string;
  /** The scheduled prober's window; false: a caller's. */
  scheduled: boolean;
  /** Why it ended before its last heartbeat was measured; null if it did not. */
  interrupted: string | null;
  started_at: string;
  ended_at: string;
  ok: boolean;
  interval_ms: number;
  threshold_ms: number;
  beats_at: number[];
  replicas: WindowReplica[];
  failures: { type: string; detail: string; endpoint?: string }[];
  events: { type: string; detail: string }[];
  slots: Record<string, unknown>[];
}

// Drizzle owns the pool's JSON handling (it passes JSON through untouched), so
// JSON goes in as text cast to jsonb.
const asJson = { mapToDriverValue: (value: unknown) => JSON.stringify(value) };
const jsonb = (name: string) => sql`${sql.param(sql.placeholder(name), asJson)}::jsonb`;

/**
 * On the primary: stores a window, ended now, and in the same statement (one
 * round trip a window) drops those that ended over `keepHours` ago and
 * callers' windows past the newest `keepCallers` (the new one aside).
 */
export const storeWindowQuery = (db: PostgresJsDatabase) =>
  rawStatement<never>(
    db,
    'window_store',
    sql`
      with pruned as (
        delete from replication_window
        where ended_at < now() - make_interval(hours => ${sql.placeholder('keepHours')})
      ), capped as (
        delete from replication_window where id in (
          select id from replication_window where not scheduled
          order by ended_at desc, id desc
          offset ${sql.placeholder('keepCallers')})
      )
      insert into replication_window
        (prober, scheduled, interrupted, started_at, ended_at, ok, interval_ms, threshold_ms,
         beats_at, replicas, failures, events, slots)
      values (${sql.placeholder('prober')}, ${sql.placeholder('scheduled')},
              ${sql.placeholder('interrupted')},
              to_timestamp(${sql.placeholder('startedAt')}::float8 / 1000), now(),
              ${sql.placeholder('ok')}, ${sql.placeholder('intervalMs')},
              ${sql.placeholder('thresholdMs')}, ${jsonb('beatsAt')}, ${jsonb('replicas')},
              ${jsonb('failures')}, ${jsonb('events')}, ${jsonb('slots')})`,
  );

/**
 * On the primary: the newest windows of a kind (`scheduled`) that ended in
 * the last `minutes`, newest first, at most `limit`, and only those whose
 * estimated JSON size (jsonb's text, a little longer than JSON's, plus a
 * margin for the other columns) adds up to at most `budget` bytes, but the
 * newest always: it tells how many ended in the period (`in_period`).
 */
export const newestWindowsQuery = (db: PostgresJsDatabase) =>
  rawStatement<StoredWindow & { in_period: number }>(
    db,
    'window_newest',
    sql`
      select prober, scheduled, interrupted, started_at, ended_at, ok, interval_ms, threshold_ms,
             beats_at, replicas, failures, events, slots, in_period::int
      from (
        select prober, scheduled, interrupted, ok, interval_ms, threshold_ms,
               beats_at, replicas, failures, events, slots, id, ended_at as ended,
               -- ISO 8601, as JSON writes timestamps, for every browser's Date.
               to_json(started_at) #>> '{}' as started_at,
               to_json(ended_at) #>> '{}' as ended_at,
               count(*) over () as in_period,
               row_number() over (order by ended_at desc, id desc) as newest_first,
               sum(octet_length(beats_at::text) + octet_length(replicas::text)
                   + octet_length(failures::text) + octet_length(events::text)
                   + octet_length(slots::text) + octet_length(prober)
                   + coalesce(octet_length(interrupted), 0) + 256)
                 over (order by ended_at desc, id desc) as estimated
        from replication_window
        where scheduled = ${sql.placeholder('scheduled')}
          and ended_at > now() - make_interval(mins => ${sql.placeholder('minutes')})
      ) newest
      -- The newest always: it tells the count in the period, and is dropped if too large.
      where estimated <= ${sql.placeholder('budget')} or newest_first = 1
      order by ended desc, id desc
      limit ${sql.placeholder('limit')}`,
  );

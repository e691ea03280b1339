import type { CountryHost } from '../db/clients.js';
import type { WindowReplica } from '../db/schema.js';
import type { CheckResult } from './check.js';
import type { WindowKind } from './windowRegistry.js';

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

/** A window as stored: every replica's lags beat by beat, beside its figures. */
export function windowRecord(
  result: CheckResult,
  settings: { prober: string; maxLagMs: number },
  intervalMs: number,
  kind: WindowKind,
) {
  const { interrupted } = result.report;
  return {
    prober: settings.prober,
    scheduled: kind === 'scheduled',
    interrupted: typeof interrupted === 'string' ? interrupted : null,
    startedAt: result.beatsAt[0] ?? Date.now(),
    ok: result.ok,
    intervalMs,
    thresholdMs: settings.maxLagMs,
    beatsAt: result.beatsAt,
    replicas: result.replicas.map(
      (replica): WindowReplica => ({
        ...replica,
        lags: result.lagsByBeat.get(replica.endpoint) ?? [],
      }),
    ),
    failures: result.failures,
    events: result.events,
    slots: (result.report.replication_slots ?? []) as Record<string, unknown>[],
  };
}

// Drizzle owns the pool's JSON handling (it passes JSON through untouched), so
// JSON goes in as text cast to jsonb.
const json = (value: unknown) => JSON.stringify(value);

/**
 * Callers' windows kept, newest first, whatever their age: a caller can run
 * one-sample checks by the thousand, and must not crowd anything out.
 */
export const CALLER_WINDOWS_KEPT = 100;

/**
 * Stores a window on the primary and drops those older than `keepHours`, and
 * callers' windows past the newest CALLER_WINDOWS_KEPT: one statement, so the
 * history costs the primary one round trip a window.
 */
export async function storeWindow(
  primary: CountryHost,
  record: ReturnType<typeof windowRecord>,
  keepHours: number,
): Promise<void> {
  await primary.query(
    ({ sql }) => sql`
      with pruned as (
        delete from replication_window where ended_at < now() - make_interval(hours => ${keepHours})
      ), capped as (
        delete from replication_window where id in (
          select id from replication_window where not scheduled
          order by ended_at desc, id desc
          offset ${record.scheduled ? CALLER_WINDOWS_KEPT : CALLER_WINDOWS_KEPT - 1})
      )
      insert into replication_window
        (prober, scheduled, interrupted, started_at, ended_at, ok, interval_ms, threshold_ms,
         beats_at, replicas, failures, events, slots)
      values (${record.prober}, ${record.scheduled}, ${record.interrupted},
              to_timestamp(${record.startedAt}::float8 / 1000), now(), ${record.ok},
              ${record.intervalMs}, ${record.thresholdMs}, ${json(record.beatsAt)}::jsonb,
              ${json(record.replicas)}::jsonb, ${json(record.failures)}::jsonb,
              ${json(record.events)}::jsonb, ${json(record.slots)}::jsonb)`,
  );
}

/** At most this many of callers' windows in an answer, and this many bytes of them. */
export const CALLER_WINDOWS_READ = 60;
export const CALLER_HISTORY_BYTES = 512 * 1024;
// The scheduled prober runs one window a minute: a day of them and a margin.
const SCHEDULED_WINDOWS_READ = 2000;

/** What a window adds to a JSON array: its own text and a comma. */
export const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value)) + 1;

/**
 * The newest windows of a kind that ended in the last `minutes`, newest
 * first, whose JSON fits in `budget` bytes. The primary sends only those
 * whose estimated size fits (jsonb's text, a little longer than JSON's, plus
 * a margin for the other columns); their exact size is counted here.
 * `truncated`: some that ended in the period were left out.
 */
async function readNewest(
  primary: CountryHost,
  scheduled: boolean,
  minutes: number,
  limit: number,
  budget: number,
): Promise<{ windows: StoredWindow[]; truncated: boolean }> {
  const rows = await primary.query(
    ({ sql }) => sql<(StoredWindow & { in_period: number })[]>`
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
        where scheduled = ${scheduled}
          and ended_at > now() - make_interval(mins => ${minutes})
      ) newest
      -- The newest always: it tells the count in the period, and is dropped below if too large.
      where estimated <= ${budget} or newest_first = 1
      order by ended desc, id desc
      limit ${limit}`,
    { idempotent: true },
  );
  const windows: StoredWindow[] = [];
  let used = 0;
  for (const { in_period: _, ...window } of rows) {
    used += jsonBytes(window);
    if (used > budget) break;
    windows.push(window);
  }
  return { windows, truncated: windows.length < (rows[0]?.in_period ?? 0) };
}

/**
 * Windows that ended in the last `minutes`, oldest first, in at most `budget`
 * bytes of JSON: the scheduled prober's (the live page's history), and the
 * newest CALLER_WINDOWS_READ of callers' in at most CALLER_HISTORY_BYTES, so
 * that no caller can flush the scheduled ones out or make the answer large.
 * `truncated`: windows of the period were left out to keep to those bounds.
 */
export async function readHistory(
  primary: CountryHost,
  minutes: number,
  budget: number,
): Promise<{ windows: StoredWindow[]; truncated: boolean }> {
  const callers = await readNewest(
    primary,
    false,
    minutes,
    CALLER_WINDOWS_READ,
    Math.min(CALLER_HISTORY_BYTES, budget),
  );
  const used = callers.windows.reduce((sum, window) => sum + jsonBytes(window), 0);
  const scheduled = await readNewest(primary, true, minutes, SCHEDULED_WINDOWS_READ, budget - used);
  const windows = [...scheduled.windows, ...callers.windows].sort(
    (a, b) => Date.parse(a.ended_at) - Date.parse(b.ended_at),
  );
  return { windows, truncated: callers.truncated || scheduled.truncated };
}

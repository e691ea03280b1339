import { desc, getTableColumns, gt, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { CountryHost } from '../db/clients.js';
import { replicationWindow, type WindowReplica } from '../db/schema.js';
import type { CheckResult } from './check.js';

export interface StoredWindow {
  prober: string;
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
) {
  return {
    prober: settings.prober,
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
 * Stores a window on the primary and drops those older than `keepHours`: one
 * statement, so the history costs the primary one round trip a window.
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
      )
      insert into replication_window
        (prober, started_at, ended_at, ok, interval_ms, threshold_ms,
         beats_at, replicas, failures, events, slots)
      values (${record.prober}, to_timestamp(${record.startedAt}::float8 / 1000), now(), ${record.ok},
              ${record.intervalMs}, ${record.thresholdMs}, ${json(record.beatsAt)}::jsonb,
              ${json(record.replicas)}::jsonb, ${json(record.failures)}::jsonb,
              ${json(record.events)}::jsonb, ${json(record.slots)}::jsonb)`,
  );
}

// The newest windows at most: a day of one-minute windows and a few more,
// however many callers ran windows meanwhile.
const MAX_WINDOWS_READ = 2000;

/** Windows that ended in the last `minutes` (the newest MAX_WINDOWS_READ), oldest first. */
export async function readHistory(primary: CountryHost, minutes: number): Promise<StoredWindow[]> {
  const { id: _, ...columns } = getTableColumns(replicationWindow);
  // ISO 8601, as JSON writes timestamps, for every browser's Date.
  const iso = (column: AnyPgColumn) => sql<string>`to_json(${column}) #>> '{}'`;
  return primary
    .query(
      ({ db }) =>
        db
          .select({
            ...columns,
            started_at: iso(replicationWindow.started_at),
            ended_at: iso(replicationWindow.ended_at),
          })
          .from(replicationWindow)
          .where(gt(replicationWindow.ended_at, sql`now() - make_interval(mins => ${minutes})`))
          .orderBy(desc(replicationWindow.ended_at))
          .limit(MAX_WINDOWS_READ),
      { idempotent: true },
    )
    .then((newestFirst) => newestFirst.reverse());
}

import type { PrimaryHost } from '../db/clients.js';
import type { StoredWindow } from '../db/historyQueries.js';
import type { CheckResult } from './check.js';
import type { WindowKind } from './windowRegistry.js';

/** A window as stored: every replica's lags beat by beat, beside its figures. */
export function windowRecord(
  result: CheckResult,
  settings: { prober: string; maxLagMs: number },
  intervalMs: number,
  kind: WindowKind,
) {
  return {
    prober: settings.prober,
    scheduled: kind === 'scheduled',
    interrupted: result.report.interrupted ?? null,
    startedAt: result.beatsAt[0] ?? Date.now(),
    ok: result.ok,
    intervalMs,
    thresholdMs: settings.maxLagMs,
    beatsAt: result.beatsAt,
    replicas: result.replicas.map((replica) => ({
      ...replica,
      lags: result.lagsByBeat.get(replica.endpoint) ?? [],
    })),
    failures: result.failures,
    events: result.events,
    slots: result.report.replication_slots,
  };
}

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
  primary: PrimaryHost,
  record: ReturnType<typeof windowRecord>,
  keepHours: number,
): Promise<void> {
  await primary.query(({ queries }) =>
    queries.storeWindow.execute({
      ...record,
      keepHours,
      // The new window is a caller's: one fewer of the others stays.
      keepCallers: record.scheduled ? CALLER_WINDOWS_KEPT : CALLER_WINDOWS_KEPT - 1,
    }),
  );
}

/** At most this many of callers' windows in an answer, and this many bytes of them. */
export const CALLER_WINDOWS_READ = 60;
export const CALLER_HISTORY_BYTES = 512 * 1024;
// The scheduled prober runs one window a minute: a day of them and a margin.
const SCHEDULED_WINDOWS_READ = 2000;

/** What a window adds to a JSON array: its own text and a comma. */
const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value)) + 1;

/**
 * The newest windows of a kind that ended in the last `minutes`, newest
 * first, whose JSON fits in `budget` bytes. The primary sends only those
 * whose estimated size fits (jsonb's text, a little longer than JSON's, plus
 * a margin for the other columns); their exact size is counted here.
 * `truncated`: some that ended in the period were left out.
 */
async function readNewest(
  primary: PrimaryHost,
  scheduled: boolean,
  minutes: number,
  limit: number,
  budget: number,
): Promise<{ windows: StoredWindow[]; truncated: boolean }> {
  const rows = await primary.query(
    ({ queries }) => queries.newestWindows.execute({ scheduled, minutes, limit, budget }),
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
  primary: PrimaryHost,
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

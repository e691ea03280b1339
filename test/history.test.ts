import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// The history the live page reads: on the primary, so the same whichever
// instance serves it and kept across restarts; pruned as windows are stored.
let pair: TestPair;
const running: RunningService[] = [];
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
});
afterAll(async () => {
  await Promise.all(running.map((service) => service.close()));
  await pair?.stop();
});

async function service(name: string) {
  const started = await startTestService(
    { ...pair.env, K_SERVICE: name, DB_CONNECT_TIMEOUT_MS: '500' },
    (_severity, _message, fields = {}) => {
      if (fields.check === 'replication') logLines.push(fields);
    },
  );
  running.push(started);
  return { started, api: httpClient(started.url, pair.env) };
}

it('stores every window on the primary: another instance, and a restarted one, read it', async () => {
  const writer = await service('history-writer');
  const answer = await writer.api.request('POST', '/replication_check?samples=4&interval_ms=150');
  expect(answer.status).toBe(200);
  expect(answer.json.history_stored).toBe(true);
  await writer.started.close();

  const reader = await service('history-reader');
  const history = await reader.api.request('GET', '/replication/history?minutes=5');
  expect(history.status).toBe(200);
  expect(history.json.endpoints).toEqual(pair.endpoints);
  const [window] = history.json.windows.filter(
    (w: { prober: string }) => w.prober === 'history-writer',
  );
  expect(window).toMatchObject({ ok: true, interval_ms: 150, threshold_ms: 5000 });
  expect(window.beats_at).toHaveLength(4);
  expect(Date.parse(window.ended_at)).toBeGreaterThan(Date.parse(window.started_at));
  for (const [index, replica] of window.replicas.entries()) {
    expect(replica).toMatchObject({ endpoint: pair.endpoints[index], seen: 4 });
    expect(replica.lags).toHaveLength(4);
    for (const lag of replica.lags) expect(lag).toBeGreaterThan(0);
  }
});

it('prunes windows older than REPLICATION_HISTORY_HOURS in the statement that stores one', async () => {
  const primary = pair.superuser('primary');
  const old = (hours: number) => primary`
    insert into replication_window
      (prober, started_at, ended_at, ok, interval_ms, threshold_ms, beats_at, replicas, failures, events, slots)
    values (${`aged-${hours}h`}, now() - make_interval(hours => ${hours}), now() - make_interval(hours => ${hours}),
            true, 1000, 5000, '[]', '[]', '[]', '[]', '[]')`;
  await old(25);
  await old(23);
  const { api } = await service('history-pruner');
  expect((await api.request('POST', '/replication_check')).status).toBe(200);
  const probers = (await primary`select prober from replication_window`).map((row) => row.prober);
  expect(probers).not.toContain('aged-25h');
  expect(probers).toContain('aged-23h');
  expect(probers).toContain('history-pruner');
});

it('a window whose primary stops before it can be stored is only in its log line', async () => {
  const { api } = await service('history-midway');
  const primary = pair.superuser('primary');
  const written = async () =>
    Number(
      (await primary`select sequence from replication_heartbeat where prober = 'history-midway'`)[0]
        ?.sequence ?? 0,
    );
  logLines.length = 0;
  const answer = api.request('POST', '/replication_check?samples=4&interval_ms=300');
  await expect.poll(written).toBeGreaterThan(0);
  await pair.pair.primary.stop();
  try {
    const response = await answer;
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ history_stored: false });
    expect(response.json.history_error).toMatch(/^the primary database /);
    const line = logLines.at(-1);
    expect(line).toMatchObject({ history_stored: false, failure_type: 'primary-unreachable' });
    // The figures of what was measured are in the line.
    for (const replica of (line?.replicas ?? []) as { samples: number; seen: number }[]) {
      expect(replica.samples).toBeGreaterThanOrEqual(1);
      expect(replica.seen).toBe(replica.samples);
    }
  } finally {
    await pair.pair.restart('primary');
  }
});

it('while the primary is down, a window is only in the log line, and the history says it is unavailable', async () => {
  const { api } = await service('history-outage');
  await pair.pair.primary.stop();
  try {
    logLines.length = 0;
    const answer = await api.request('POST', '/replication_check');
    expect(answer.status).toBe(503);
    expect(answer.json.type).toBe('urn:pg-replica-functions:problem:primary-unreachable');
    expect(answer.json.history_stored).toBe(false);
    expect(logLines.at(-1)).toMatchObject({
      history_stored: false,
      failure_type: 'primary-unreachable',
    });
    const history = await api.request('GET', '/replication/history');
    expect(history.status).toBe(503);
    expect(history.headers.get('retry-after')).toBe('1');
  } finally {
    await pair.pair.restart('primary');
  }
});

describe('what a caller cannot do to the history', () => {
  // A window as a prober stores it: `beats` heartbeats on two replicas.
  const insertWindows = (count: number, scheduled: boolean, beats: number, prober: string) =>
    pair.superuser('primary')`
      insert into replication_window
        (prober, scheduled, started_at, ended_at, ok, interval_ms, threshold_ms,
         beats_at, replicas, failures, events, slots)
      select ${prober}, ${scheduled}, now() - make_interval(secs => 3000 - n),
             now() - make_interval(secs => 3000 - n), true, 100, 5000,
             (select jsonb_agg(1700000000000 + b * 100) from generate_series(1, ${beats}) b),
             (select jsonb_agg(jsonb_build_object('endpoint', e, 'lags',
                (select jsonb_agg(round(2.345678 + b / 1000.0, 6)) from generate_series(1, ${beats}) b)))
              from jsonb_array_elements_text(${JSON.stringify(pair.endpoints)}::text::jsonb) e),
             '[]', '[]', '[]'
      from generate_series(1, ${count}) n`;

  it("1600 callers' windows flush none of the scheduled prober's; callers' are kept to the newest 100", async () => {
    await pair.superuser('primary')`delete from replication_window`;
    const scheduler = await startTestService({
      ...pair.env,
      K_SERVICE: 'history-scheduler',
      FUNCTION_TARGET: 'replicationCheck',
      BASIC_AUTH_USERNAME: undefined,
      BASIC_AUTH_PASSWORD: undefined,
    });
    running.push(scheduler);
    for (let i = 0; i < 3; i++) {
      const answer = await httpClient(scheduler.url, pair.env).request(
        'POST',
        '/replication_check?samples=2&interval_ms=100',
        { auth: false },
      );
      expect(answer.status, answer.text).toBe(200);
    }
    await insertWindows(1600, false, 1, 'history-flooder');
    // A caller's window stores itself and prunes callers' past the newest 100.
    const { api } = await service('history-caller');
    expect((await api.request('POST', '/replication_check')).status).toBe(200);
    const [kept] = await pair.superuser('primary')`
      select count(*) filter (where not scheduled)::int as callers,
             count(*) filter (where scheduled)::int as scheduled
      from replication_window`;
    expect(kept).toEqual({ callers: 100, scheduled: 3 });

    const history = await api.request('GET', '/replication/history?minutes=60');
    expect(history.status).toBe(200);
    const windows = history.json.windows as { prober: string; scheduled: boolean }[];
    const scheduled = windows.filter((w) => w.scheduled);
    expect(scheduled).toHaveLength(3);
    for (const window of scheduled) expect(window.prober).toBe('history-scheduler');
    expect(windows.filter((w) => !w.scheduled)).toHaveLength(60);
    expect(windows.at(-1)).toMatchObject({ prober: 'history-caller', scheduled: false });
    expect(history.json.truncated).toBe(true);
  });

  it('answers at most 4 MiB of JSON, the newest windows, whatever is stored', async () => {
    await pair.superuser('primary')`delete from replication_window`;
    // 300 scheduled windows of 600 heartbeats: about 9 MB of JSON.
    await insertWindows(300, true, 600, 'history-heavy');
    const { api } = await service('history-reader-capped');
    const history = await api.request('GET', '/replication/history?minutes=60');
    expect(history.status).toBe(200);
    const bytes = Buffer.byteLength(history.text);
    expect(history.json.max_bytes).toBe(4 * 1024 * 1024);
    expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    // The primary estimates sizes from jsonb text, a little longer than JSON.
    expect(bytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(history.json.truncated).toBe(true);
    const windows = history.json.windows as { ended_at: string; beats_at: number[] }[];
    expect(windows.length).toBeLessThan(300);
    expect(windows[0]?.beats_at).toHaveLength(600);
    // Oldest first, and the newest stored is there.
    const ends = windows.map((w) => Date.parse(w.ended_at));
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    const [newest] = await pair.superuser('primary')`
      select to_json(max(ended_at)) #>> '{}' as at from replication_window`;
    expect(Date.parse(windows.at(-1)?.ended_at ?? '')).toBe(Date.parse(newest?.at));
    await pair.superuser('primary')`delete from replication_window`;
  });
});

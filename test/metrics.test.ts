import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { type Exposition, parseExposition, type Sample } from './support/prometheus.js';
import { startTestService } from './support/service.js';
import { setApplyDelay } from './support/settings.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// GET /metrics after a real sampling window over two standbys, one of them
// applying WAL 200 ms late.
let pair: TestPair;
let service: RunningService;
let api: Client;
let scrape: Exposition;

beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
  service = await startTestService({ ...pair.env, K_SERVICE: 'metrics-test' });
  api = httpClient(service.url, pair.env);
  await setApplyDelay(pair, 1, 200);
  try {
    expect((await api.request('POST', '/replication_check?samples=5&interval_ms=250')).status).toBe(
      200,
    );
  } finally {
    await setApplyDelay(pair, 1, 0);
  }
  await api.request('GET', '/country/US');
  await api.request('GET', '/country/QZ');
  await api.request('GET', '/status/replication');
  const answer = await api.request('GET', '/metrics');
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  scrape = parseExposition(answer.text);
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

const series = (name: string, labels: Record<string, string> = {}): Sample[] =>
  scrape.samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
const value = (name: string, labels: Record<string, string>) => series(name, labels)[0]?.value;

describe('GET /metrics', () => {
  it('takes Basic auth under the api target', async () => {
    expect((await api.request('GET', '/metrics', { auth: false })).status).toBe(401);
  });

  it('holds every series the operators need, by type', () => {
    expect(Object.fromEntries(scrape.types)).toMatchObject({
      pg_replica_commit_visible_lag_seconds: 'histogram',
      pg_replica_standby_write_lag_seconds: 'gauge',
      pg_replica_standby_flush_lag_seconds: 'gauge',
      pg_replica_standby_replay_lag_seconds: 'gauge',
      pg_replica_standby_replay_lag_bytes: 'gauge',
      pg_replica_slot_retained_wal_bytes: 'gauge',
      pg_replica_slot_wal_status: 'gauge',
      pg_replica_check_runs_total: 'counter',
      pg_replica_check_failures_total: 'counter',
      http_request_duration_seconds: 'histogram',
      pg_replica_pool_connections_in_use: 'gauge',
      pg_replica_pool_waiting: 'gauge',
      process_cpu_user_seconds_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
    });
    expect(value('pg_replica_check_runs_total', { result: 'ok' })).toBe(1);
    expect(
      series('pg_replica_standby_replay_lag_bytes').map((s) => s.labels.application_name),
    ).toEqual(['standby1', 'standby2']);
    for (const host of ['primary', 'replica', ...pair.endpoints]) {
      expect(value('pg_replica_pool_connections_in_use', { host })).toBeGreaterThanOrEqual(0);
      expect(value('pg_replica_pool_waiting', { host })).toBe(0);
    }
  });

  it('has a lag histogram per replica from every sample: the delayed standby shows it, the other does not', () => {
    const [healthy = '', delayed = ''] = pair.endpoints;
    const bucket = (replica: string, le: string) =>
      value('pg_replica_commit_visible_lag_seconds_bucket', { replica, le });
    const count = (replica: string) =>
      value('pg_replica_commit_visible_lag_seconds_count', { replica });
    expect(count(healthy)).toBe(5);
    expect(count(delayed)).toBe(5);
    // Apart at 100 ms: every healthy sample below it (with room for a loaded
    // CI machine), no delayed one.
    expect(bucket(healthy, '0.1')).toBe(5);
    expect(bucket(delayed, '0.1')).toBe(0);
    expect(bucket(delayed, '0.5')).toBe(5);
    // 1 ms to 30 s.
    const les = series('pg_replica_commit_visible_lag_seconds_bucket', { replica: healthy }).map(
      (s) => s.labels.le,
    );
    expect(les[0]).toBe('0.001');
    expect(les.at(-2)).toBe('30');
    expect(les.at(-1)).toBe('+Inf');
  });

  it('keeps every histogram cumulative: bucket counts never fall as le grows, and +Inf is the count', () => {
    const histograms = [...scrape.types]
      .filter(([, type]) => type === 'histogram')
      .map(([name]) => name);
    for (const name of histograms) {
      const groups = new Map<string, Sample[]>();
      for (const sample of series(`${name}_bucket`)) {
        const { le: _, ...rest } = sample.labels;
        const key = JSON.stringify(rest);
        groups.set(key, [...(groups.get(key) ?? []), sample]);
      }
      for (const [key, buckets] of groups) {
        const values = buckets.map((b) => b.value);
        expect(values, `${name} ${key}`).toEqual([...values].sort((a, b) => a - b));
        expect(values.at(-1)).toBe(value(`${name}_count`, JSON.parse(key)));
      }
    }
  });

  it('labels requests by route pattern, never by the raw path, code or LSN', () => {
    const routes = new Set(
      series('http_request_duration_seconds_count').map((s) => s.labels.route),
    );
    expect(routes).toContain('/country/{two_letter}');
    expect(
      value('http_request_duration_seconds_count', {
        route: '/country/{two_letter}',
        method: 'GET',
        status: '404',
      }),
    ).toBe(1);
    for (const sample of scrape.samples) {
      for (const label of Object.values(sample.labels)) {
        expect(label).not.toMatch(/\/country\/(US|QZ)|^[0-9A-F]+\/[0-9A-F]+$/);
      }
    }
  });
});

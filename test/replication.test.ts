import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { setApplyDelay, setSetting } from './support/settings.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// The replication check and health on a real primary with two streaming
// standbys, both verified on their own (POSTGRES_REPLICA_ENDPOINTS); reads go
// to the first. Failures of one standby: test/replicaFailures.test.ts.
const APPLY_DELAY_MS = 300;

let pair: TestPair;
let service: RunningService;
let strict: RunningService;
let standalone: RunningService;
let api: Client;
const logLines: { severity: string; message: string; fields: Record<string, unknown> }[] = [];

beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
  const timeouts = {
    DB_CONNECT_TIMEOUT_MS: '1000',
    DB_QUERY_TIMEOUT_MS: '2000',
    K_SERVICE: 'replication-test',
  };
  service = await startTestService({ ...pair.env, ...timeouts }, (severity, message, fields = {}) =>
    logLines.push({ severity, message, fields }),
  );
  // Same cluster, stricter expectations: three standbys, 100 ms of lag at most.
  strict = await startTestService({
    ...pair.env,
    ...timeouts,
    K_SERVICE: 'replication-test-strict',
    EXPECTED_STANDBYS: '3',
    REPLICA_MAX_LAG_MS: '100',
  });
  standalone = await startTestService({
    ...pair.env,
    ...timeouts,
    FUNCTION_TARGET: 'replicationCheck',
    BASIC_AUTH_USERNAME: undefined,
    BASIC_AUTH_PASSWORD: undefined,
  });
  api = httpClient(service.url, pair.env);
});
afterAll(async () => {
  await Promise.all([service?.close(), strict?.close(), standalone?.close()]);
  await pair?.stop();
});

const check = (query = '', client = api) => client.request('POST', `/replication_check${query}`);
const types = (failures: { type: string }[]) => failures.map((failure) => failure.type);

describe('a healthy cluster', () => {
  it('measures every standby on its own, reports both hosts, and logs one line per run', async () => {
    logLines.length = 0;
    const response = await check();
    expect(response.status).toBe(200);
    const report = response.json;
    expect(report).toMatchObject({
      status: 'ok',
      prober: 'replication-test',
      threshold_ms: 5000,
      samples: 1,
      interval_ms: 1000,
      events: [],
    });
    expect(report.replicas.map((r: { endpoint: string }) => r.endpoint)).toEqual(pair.endpoints);
    for (const [index, replica] of report.replicas.entries()) {
      expect(replica).toMatchObject({
        ok: true,
        role: 'replica',
        application_name: `standby${index + 1}`,
        samples: 1,
        seen: 1,
        timeline: report.primary.timeline,
        failures: [],
      });
      expect(replica.replay_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(replica.lag_ms.last).toBeGreaterThan(0);
      expect(replica.lag_ms.last).toBeLessThan(100);
    }
    // The top-level lag is the worst replica's last.
    expect(report.lag_ms).toBe(
      Math.max(...report.replicas.map((r: { lag_ms: { last: number } }) => r.lag_ms.last)),
    );
    expect(report.primary_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.replica_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.standbys.map((s: { application_name: string }) => s.application_name)).toEqual([
      'standby1',
      'standby2',
    ]);
    expect(report.primary.system_identifier).toBe(report.replica.system_identifier);
    expect(report.replica.wal_receiver.status).toBe('streaming');
    expect(report.replication_slots).toEqual(
      ['_local_standby1', '_local_standby2'].map((slot_name) =>
        expect.objectContaining({ slot_name, slot_type: 'physical', active: true }),
      ),
    );
    expect(report.synchronous_standby).toEqual({ expected: false, present: false });
    expect(JSON.stringify(report)).not.toMatch(/password|conninfo/);

    const lines = logLines.filter((line) => line.fields.check === 'replication');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      severity: 'INFO',
      fields: {
        lag_ms: report.lag_ms,
        failure_type: null,
        failures: [],
        failover: false,
        samples: 1,
        replica_lag_ms: {
          r1: { endpoint: pair.endpoints[0], last: report.replicas[0].lag_ms.last },
          r2: { endpoint: pair.endpoints[1], last: report.replicas[1].lag_ms.last },
        },
      },
    });
  });

  it('keeps one heartbeat row per prober, stamped with the primary it was written on', async () => {
    await check();
    await check();
    const rows = await pair.superuser('primary')`
      select prober, system_identifier, timeline from replication_heartbeat order by prober`;
    const [control] = await pair.superuser('primary')`
      select system_identifier::text from pg_control_system()`;
    expect(rows.filter((row) => row.prober === 'replication-test')).toEqual([
      { prober: 'replication-test', system_identifier: control?.system_identifier, timeline: 1 },
    ]);
  });

  it('answers /status/replication for every standby without writing', async () => {
    const before = await pair.superuser('primary')`select sequence from replication_heartbeat`;
    const response = await api.request('GET', '/status/replication');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ status: 'ok', max_lag_ms: 5000 });
    expect(response.json.replicas).toEqual(
      pair.endpoints.map((endpoint, index) =>
        expect.objectContaining({
          endpoint,
          ok: true,
          role: 'replica',
          application_name: `standby${index + 1}`,
          wal_receiver: 'streaming',
          replay_paused: false,
          failures: [],
        }),
      ),
    );
    expect(await pair.superuser('primary')`select sequence from replication_heartbeat`).toEqual(
      before,
    );
    expect((await api.request('GET', '/status/replication', { auth: false })).status).toBe(401);
    expect((await api.request('GET', '/status/replication?max_lag_ms=ten')).status).toBe(400);
  });

  it('standalone, the check takes no Basic auth and serves nothing else', async () => {
    const bare = httpClient(standalone.url, {});
    expect((await bare.request('POST', '/replication_check', { auth: false })).status).toBe(200);
    expect((await bare.request('GET', '/country/US', { auth: false })).status).toBe(404);
    // Cloud Run's startup probe (terraform/modules/run) asks every service for /status.
    expect((await bare.request('GET', '/status', { auth: false })).status).toBe(200);
    expect((await check('', httpClient(service.url, {}))).status).toBe(401);
  });
});

describe('a sampling window', () => {
  it('takes one heartbeat per interval and gives every standby its counts and ordered percentiles', async () => {
    const started = performance.now();
    const response = await check('?samples=8&interval_ms=100');
    const elapsed = performance.now() - started;
    expect(response.status, JSON.stringify(response.json)).toBe(200);
    // The last heartbeat is due at 700 ms; the answer comes once it is seen.
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(700 + 1000);
    for (const replica of response.json.replicas) {
      expect(replica).toMatchObject({ samples: 8, seen: 8, ok: true });
      const { p50, p90, p99, max, last } = replica.lag_ms;
      expect(p50).toBeGreaterThan(0);
      expect(p50).toBeLessThanOrEqual(p90);
      expect(p90).toBeLessThanOrEqual(p99);
      expect(p99).toBeLessThanOrEqual(max);
      expect(last).toBeLessThanOrEqual(max);
    }
  });

  it.each([
    ['samples=0', ['samples']],
    ['samples=601', ['samples']],
    ['samples=two', ['samples']],
    ['interval_ms=99', ['interval_ms']],
    ['interval_ms=60001', ['interval_ms']],
    ['samples=600&interval_ms=1501', ['samples', 'interval_ms']],
    ['samples=1&samples=2', ['samples']],
    ['window=60', ['window']],
  ])('refuses %s with a 400 naming the parameter', async (query, fields) => {
    const response = await check(`?${query}`);
    expect(response.status).toBe(400);
    expect(response.json.type).toBe('urn:pg-replica-functions:problem:invalid-request');
    expect(response.json.errors.map((e: { field: string }) => e.field)).toEqual(fields);
  });

  it('accepts the longest window (600 × 1500 ms = 15 min), and ends it early when the server drains', async () => {
    const draining = await startTestService({ ...pair.env, K_SERVICE: 'replication-test-drain' });
    const answer = httpClient(draining.url, pair.env).request(
      'POST',
      '/replication_check?samples=600&interval_ms=1500',
    );
    // Once the first heartbeat is in, stop the server: the window answers with what it has.
    await expect
      .poll(
        async () =>
          (
            await pair.superuser('primary')`
              select 1 from replication_heartbeat where prober = 'replication-test-drain'`
          ).length,
      )
      .toBe(1);
    const closed = draining.close();
    const response = await answer;
    await closed;
    expect(response.status, JSON.stringify(response.json)).toBe(200);
    expect(response.json).toMatchObject({
      samples: 600,
      interval_ms: 1500,
      interrupted: 'the server is shutting down',
    });
    for (const replica of response.json.replicas) {
      expect(replica.samples).toBeGreaterThanOrEqual(1);
      expect(replica.samples).toBeLessThan(600);
      // A heartbeat still outstanding when the drain began is neither seen nor lag.
      expect(replica.seen).toBeLessThanOrEqual(replica.samples);
      expect(replica.failures).toEqual([]);
    }
  });

  it('keeps two overlapping windows of the same prober apart', async () => {
    const first = check('?samples=6&interval_ms=100');
    await new Promise((resolve) => setTimeout(resolve, 250));
    const second = check('?samples=6&interval_ms=100');
    const answers = await Promise.all([first, second]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      for (const replica of answer.json.replicas) {
        expect(replica).toMatchObject({ samples: 6, seen: 6 });
        expect(replica.lag_ms.max).toBeLessThan(100);
      }
    }
    // Interleaved heartbeats of one row: each window counted only its own.
    expect(answers[1]?.json.heartbeat_sequence).toBeGreaterThan(
      answers[0]?.json.heartbeat_sequence,
    );
  });

  it('runs two windows at once, and refuses a third: it would queue for a connection, and queueing reads as lag', async () => {
    const two = [check('?samples=5&interval_ms=200'), check('?samples=5&interval_ms=200')];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await check('?samples=5&interval_ms=200');
    expect(third.status).toBe(503);
    expect(third.json.type).toBe('urn:pg-replica-functions:problem:windows-busy');
    expect(third.headers.get('retry-after')).toBe('10');
    for (const answer of await Promise.all(two)) expect(answer.status).toBe(200);
    expect((await check()).status).toBe(200);
  });

  it('measures an injected 300 ms apply delay within ±30 ms at p50, and a healthy standby under 20 ms at p50, untouched by the delay at p99', async () => {
    await setApplyDelay(pair, 1, APPLY_DELAY_MS);
    try {
      const response = await check('?samples=10&interval_ms=150');
      expect(response.status).toBe(200);
      const [healthy, delayed] = response.json.replicas;
      expect(Math.abs(delayed.lag_ms.p50 - APPLY_DELAY_MS)).toBeLessThanOrEqual(30);
      expect(delayed.lag_ms.p99).toBeGreaterThanOrEqual(APPLY_DELAY_MS);
      // p99 of 10 heartbeats is the slowest one: on a cold first run one
      // scheduling hiccup made it 21.9 ms. The typical heartbeat (p50) keeps
      // the 20 ms accuracy; the slowest is bounded relative to the delay, which
      // is what the delayed standby leaking into the healthy one would add.
      expect(healthy.lag_ms.p50).toBeLessThan(20);
      expect(healthy.lag_ms.p99).toBeLessThan(APPLY_DELAY_MS / 4);
      expect(response.json.lag_ms).toBe(delayed.lag_ms.last);
    } finally {
      await setApplyDelay(pair, 1, 0);
    }
  });
});

describe('reads and thresholds', () => {
  it('min_lsn waits exactly as long as the read standby lags', async () => {
    await setApplyDelay(pair, 0, APPLY_DELAY_MS);
    try {
      const created = await api.request('POST', '/country', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Delayland', two_letter: 'QU', country_id: 920 }),
      });
      const lsn = created.headers.get('x-primary-lsn');
      expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect((await api.request('GET', '/country_replica/QU')).status).toBe(404); // no wait without min_lsn
      const started = performance.now();
      const consistent = await api.request('GET', `/country_replica/QU?min_lsn=${lsn}`);
      const waited = performance.now() - started;
      expect(consistent.status).toBe(200);
      expect(consistent.json.name).toBe('Delayland');
      expect(waited).toBeGreaterThan(APPLY_DELAY_MS - 100);
      expect(waited).toBeLessThan(APPLY_DELAY_MS + 150);
      expect(consistent.headers.get('x-replica-lsn')).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);

      const deleted = await api.request('DELETE', '/country/QU');
      const deletedLsn = deleted.headers.get('x-primary-lsn');
      const tooShort = await api.request(
        'GET',
        `/country_replica/QU?min_lsn=${deletedLsn}&wait_ms=50`,
      );
      expect(tooShort.status).toBe(503);
      expect(tooShort.json).toMatchObject({
        type: 'urn:pg-replica-functions:problem:replica-behind',
        min_lsn: deletedLsn,
      });
      expect(tooShort.json.replica_lsn).toMatch(/\//);
      expect((await api.request('GET', `/country_replica/QU?min_lsn=${deletedLsn}`)).status).toBe(
        404,
      );
    } finally {
      await setApplyDelay(pair, 0, 0);
    }
  });

  it('names the lagging standby against a tighter threshold, and counts the standbys', async () => {
    await setApplyDelay(pair, 1, APPLY_DELAY_MS);
    try {
      const lagging = await check('', httpClient(strict.url, pair.env));
      expect(lagging.status).toBe(503);
      expect(lagging.json.type).toBe('urn:pg-replica-functions:problem:standbys-missing');
      expect(lagging.json.failures).toEqual([
        expect.objectContaining({ type: 'standbys-missing' }),
        // Two endpoints cannot verify three standbys.
        expect.objectContaining({ type: 'endpoints-missing' }),
        {
          type: 'replication-lag',
          endpoint: pair.endpoints[1],
          detail: `${pair.endpoints[1]} did not show 1 of 1 heartbeats within 100 ms (recovery_min_apply_delay is ${APPLY_DELAY_MS} ms)`,
        },
      ]);
      const [healthy, delayed] = lagging.json.replicas;
      expect(healthy).toMatchObject({ ok: true, seen: 1 });
      expect(delayed).toMatchObject({ ok: false, seen: 0, lag_ms: { last: null, p50: null } });
    } finally {
      await setApplyDelay(pair, 1, 0);
    }
  });

  it('/status/replication: lag in time is the replay it owes, not the idle time before a write', async () => {
    const standby = pair.superuser(1);
    await setApplyDelay(pair, 1, 1000);
    try {
      // A quiet cluster: nothing replayed for well over the thresholds below.
      await expect
        .poll(
          async () => {
            const [row] = await standby`
              select coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000, 1e9)::float8 as idle_ms`;
            return row?.idle_ms;
          },
          { timeout: 5000 },
        )
        .toBeGreaterThan(1500);
      // A heartbeat that standby 2 applies 1 s late; the strict check gives up after 100 ms.
      expect((await check('', httpClient(strict.url, pair.env))).status).toBe(503);
      const within = await api.request('GET', '/status/replication?max_lag_ms=1400');
      expect(within.status, JSON.stringify(within.json)).toBe(200);
      const [caughtUp, behind] = within.json.replicas;
      expect(caughtUp).toMatchObject({ ok: true, lag_bytes: 0, lag_ms: 0 });
      expect(behind.lag_bytes).toBeGreaterThan(0);
      expect(behind.lag_ms).toBeGreaterThanOrEqual(100); // at least as long as the check waited
      expect(behind.lag_ms).toBeLessThan(1400);
      const over = await api.request('GET', '/status/replication?max_lag_ms=50');
      expect(over.status).toBe(503);
      expect(over.json.failures).toEqual([
        expect.objectContaining({ type: 'replication-lag', endpoint: pair.endpoints[1] }),
      ]);
      const byBytes = await api.request('GET', '/status/replication?max_lag_bytes=0');
      expect(byBytes.status).toBe(503);
      expect(types(byBytes.json.failures)).toContain('replication-lag');
    } finally {
      await setApplyDelay(pair, 1, 0);
    }
  });

  it('reports a missing synchronous standby at once, without writing (the write would hang)', async () => {
    await setSetting(pair, 'primary', 'synchronous_standby_names', 'ghost');
    try {
      // The setting is read on the service's own connections, not the test's:
      // wait until the service reads it (without writing), else its facts may
      // still say '' while commits already wait for the standby, and the
      // check's heartbeat hangs until the query timeout (primary-unreachable
      // after 2.3 s, once, on a cold first run).
      await expect
        .poll(
          async () =>
            (await api.request('GET', '/status/replication')).json?.primary
              ?.synchronous_standby_names,
          { timeout: 5000 },
        )
        .toBe('ghost');
      const started = performance.now();
      const response = await check();
      expect(response.status).toBe(503);
      expect(response.json.type).toBe(
        'urn:pg-replica-functions:problem:synchronous-standby-missing',
      );
      expect(response.json.synchronous_standby).toEqual({ expected: true, present: false });
      expect(response.json.heartbeat_sequence).toBeNull();
      expect(performance.now() - started).toBeLessThan(1500);
    } finally {
      await setSetting(pair, 'primary', 'synchronous_standby_names', '');
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAppDatabase } from '../dev/appDatabase.js';
import { ensureDir, initCluster } from '../dev/clusterFiles.js';
import { freePort } from '../dev/freePort.js';
import { postgresAccount } from '../dev/osUser.js';
import { findPgBinaries } from '../dev/pgBinaries.js';
import { startPostgres } from '../dev/postgresServer.js';
import { slotFailures } from '../replication/assess.js';
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { setApplyDelay, setSetting } from './support/settings.js';
import { APP, startTestPair, type TestPair } from './support/testPair.js';

// One standby of two fails; the check and the health name it by endpoint,
// and keep measuring the other. Standby 2 (index 1) is the one that fails.
const MAX_LAG_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 1500;
const WINDOW = { samples: 3, intervalMs: 200 };

let pair: TestPair;
let service: RunningService;
let api: Client;
let healthy: string;
let failing: string;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
  [healthy = '', failing = ''] = pair.endpoints;
  service = await startTestService(
    {
      ...pair.env,
      K_SERVICE: 'failure-test',
      REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
    },
    (_severity, _message, fields = {}) => {
      if (fields.check === 'replication') logLines.push(fields);
    },
  );
  api = httpClient(service.url, pair.env);
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

const windowQuery = `?samples=${WINDOW.samples}&interval_ms=${WINDOW.intervalMs}`;
const check = async (client = api) => {
  const started = performance.now();
  const answer = await client.request('POST', `/replication_check${windowQuery}`);
  return { ...answer, ms: performance.now() - started };
};
const health = (query = '') => api.request('GET', `/status/replication${query}`);

/** The newest heartbeat of a prober a server has (0: none yet). */
async function heartbeatOn(server: 'primary' | number, prober: string): Promise<number> {
  const [row] = await pair.superuser(server)`
    select sequence from replication_heartbeat where prober = ${prober}`;
  return Number(row?.sequence ?? 0);
}
type Named = { type: string; endpoint?: string };

/** 503, every failure about a replica names standby 2, and it has `expected` among them. */
function expectNamesFailing(json: { failures: Named[] }, expected: string[]) {
  const aboutReplicas = json.failures.filter((failure) => failure.endpoint !== undefined);
  expect(aboutReplicas.length).toBeGreaterThan(0);
  for (const failure of aboutReplicas) expect(failure.endpoint).toBe(failing);
  expect(aboutReplicas.map((failure) => failure.type)).toEqual(expect.arrayContaining(expected));
}

/** Standby 1 measured as if nothing happened. */
function expectHealthyMeasured(replicas: { endpoint: string }[]) {
  expect(replicas.find((replica) => replica.endpoint === healthy)).toMatchObject({
    ok: true,
    samples: WINDOW.samples,
    seen: WINDOW.samples,
    failures: [],
    lag_ms: { p99: expect.any(Number) },
  });
  const figures = replicas.find((replica) => replica.endpoint === healthy) as unknown as {
    lag_ms: { max: number };
  };
  expect(figures.lag_ms.max).toBeLessThan(100);
}

// The check answers within REPLICA_MAX_LAG_MS + DB_QUERY_TIMEOUT_MS + 1 s of
// its last heartbeat, whatever one replica does; before the first heartbeat,
// reading a frozen replica costs at most a query timeout.
const lastBeatMs = (WINDOW.samples - 1) * WINDOW.intervalMs;
const checkBoundMs = QUERY_TIMEOUT_MS + lastBeatMs + MAX_LAG_MS + QUERY_TIMEOUT_MS + 1000;

describe('one standby of two fails', () => {
  it('delayed beyond the threshold: replication-lag on standby 2 only', async () => {
    await setApplyDelay(pair, 1, MAX_LAG_MS + 500);
    try {
      const response = await check();
      expect(response.status).toBe(503);
      expectNamesFailing(response.json, ['replication-lag']);
      // Standby 1 measured as if nothing happened. This is the service's first
      // window, and on a cold first run (right after npm ci) its healthy max
      // was once 111 ms: the bound is relative to the threshold instead.
      // Standby 2's trouble reaching standby 1's figures would show as its
      // delay or the threshold (≥ 1000 ms), far above a quarter of it.
      const measured = response.json.replicas.find(
        (replica: { endpoint: string }) => replica.endpoint === healthy,
      );
      expect(measured).toMatchObject({
        ok: true,
        samples: WINDOW.samples,
        seen: WINDOW.samples,
        failures: [],
        lag_ms: { p99: expect.any(Number) },
      });
      expect(measured.lag_ms.max).toBeLessThan(MAX_LAG_MS / 4);
      expect(response.json.replicas[1]).toMatchObject({ ok: false, seen: 0 });
      const status = await health('?max_lag_ms=500');
      expect(status.status).toBe(503);
      expectNamesFailing(status.json, ['replication-lag']);
    } finally {
      await setApplyDelay(pair, 1, 0);
    }
  });

  it('paused in replay while rows are written: not replaying, on the check and on the health', async () => {
    const standby = pair.superuser(1, 'postgres');
    await standby`select pg_wal_replay_pause()`;
    try {
      const response = await check();
      expect(response.status).toBe(503);
      expectNamesFailing(response.json, ['replica-not-replaying', 'replication-lag']);
      expectHealthyMeasured(response.json.replicas);
      const status = await health();
      expect(status.status).toBe(503);
      expectNamesFailing(status.json, ['replica-not-replaying']);
      expect(status.json.replicas[1].lag_bytes).toBeGreaterThan(0);
    } finally {
      await standby`select pg_wal_replay_resume()`;
    }
  });

  it('frozen (SIGSTOP) before the check: unreachable, answered within the bound', async () => {
    pair.pair.standbys[1]?.signalAll('SIGSTOP');
    try {
      const response = await check();
      expect(response.status).toBe(503);
      expect(response.ms).toBeLessThan(checkBoundMs);
      expectNamesFailing(response.json, ['replica-unreachable']);
      expectHealthyMeasured(response.json.replicas);
      const started = performance.now();
      const status = await health();
      expect(status.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(QUERY_TIMEOUT_MS + 1000);
      expectNamesFailing(status.json, ['replica-unreachable']);
    } finally {
      pair.pair.standbys[1]?.signalAll('SIGCONT');
    }
  });

  it('frozen during a window: unreachable for the rest of it, answered within the bound', async () => {
    const query = '?samples=6&interval_ms=200';
    const shown = () => heartbeatOn(1, 'failure-test');
    const before = await shown();
    const started = performance.now();
    const answer = api.request('POST', `/replication_check${query}`);
    // Standby 2 has shown the window's first heartbeat: freeze it.
    await expect.poll(shown).toBeGreaterThan(before);
    pair.pair.standbys[1]?.signalAll('SIGSTOP');
    try {
      const response = await answer;
      expect(response.status).toBe(503);
      // The bound after the last heartbeat (at 5 × 200 ms).
      expect(performance.now() - started).toBeLessThan(
        5 * 200 + MAX_LAG_MS + QUERY_TIMEOUT_MS + 1000,
      );
      expectNamesFailing(response.json, ['replica-unreachable']);
      const [one, two] = response.json.replicas;
      expect(one).toMatchObject({ ok: true, samples: 6, seen: 6 });
      expect(two.samples).toBe(6);
      expect(two.seen).toBeLessThan(6);
    } finally {
      pair.pair.standbys[1]?.signalAll('SIGCONT');
    }
  });

  it('stalled beyond the threshold, then resumed: lag, though a late poll shows the heartbeat', async () => {
    // Connections wait longer than the stall here: a stall, not an unreachable host.
    const patient = await startTestService({
      ...pair.env,
      K_SERVICE: 'failure-test-stall',
      REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
      DB_CONNECT_TIMEOUT_MS: '4000',
      DB_QUERY_TIMEOUT_MS: '4000',
    });
    const shown = () => heartbeatOn(1, 'failure-test-stall');
    const before = await shown();
    const answer = httpClient(patient.url, pair.env).request(
      'POST',
      '/replication_check?samples=3&interval_ms=200',
    );
    await expect.poll(shown).toBeGreaterThan(before);
    // A stall longer than REPLICA_MAX_LAG_MS, shorter than any timeout.
    pair.pair.standbys[1]?.signalAll('SIGSTOP');
    const resume = setTimeout(() => pair.pair.standbys[1]?.signalAll('SIGCONT'), MAX_LAG_MS + 500);
    try {
      const response = await answer;
      expect(response.status).toBe(503);
      expectNamesFailing(response.json, ['replication-lag']);
      const stalled = response.json.replicas[1];
      expect(stalled.seen).toBeLessThan(3);
      // It answered, late: not unreachable.
      expect(stalled.failures.map((f: Named) => f.type)).not.toContain('replica-unreachable');
      // A late one counts as the time waited, over the threshold (when any was seen in time).
      if (stalled.seen > 0) expect(stalled.lag_ms.max).toBeGreaterThanOrEqual(MAX_LAG_MS);
      expect(response.json.replicas[0]).toMatchObject({ ok: true, seen: 3 });
    } finally {
      clearTimeout(resume);
      pair.pair.standbys[1]?.signalAll('SIGCONT');
      await patient.close();
    }
  });

  it('a primary frozen mid-window does not stretch the window: its heartbeats are lost, not late', async () => {
    const written = () => heartbeatOn('primary', 'failure-test');
    const before = await written();
    const started = performance.now();
    const answer = api.request('POST', '/replication_check?samples=6&interval_ms=200');
    await expect.poll(written).toBeGreaterThan(before);
    pair.pair.primary.signalAll('SIGSTOP');
    const thaw = setTimeout(() => pair.pair.primary.signalAll('SIGCONT'), 2500);
    try {
      const response = await answer;
      expect(response.status).toBe(503);
      expect(response.json.type).toBe('urn:pg-replica-functions:problem:primary-unreachable');
      // The last heartbeat is due at 1000 ms; one being written then takes a query timeout at most.
      expect(performance.now() - started).toBeLessThan(
        5 * 200 + QUERY_TIMEOUT_MS + MAX_LAG_MS + QUERY_TIMEOUT_MS + 1000,
      );
    } finally {
      clearTimeout(thaw);
      pair.pair.primary.signalAll('SIGCONT');
    }
    await expect.poll(async () => (await check()).status, { timeout: 10_000 }).toBe(200);
  });

  it('stopped, then restarted with no service restart', async () => {
    await pair.pair.standbys[1]?.stop();
    try {
      const response = await check();
      expect(response.status).toBe(503);
      expectNamesFailing(response.json, ['replica-unreachable']);
      expectHealthyMeasured(response.json.replicas);
      const status = await health();
      expect(status.status).toBe(503);
      expectNamesFailing(status.json, ['replica-unreachable']);
    } finally {
      await pair.pair.restart(1);
    }
    await expect.poll(async () => (await check()).status, { timeout: 10_000 }).toBe(200);
    expect((await health()).status).toBe(200);
  });

  it('not receiving WAL (its own WAL receiver says so): named, while standby 1 is measured', async () => {
    const standby = pair.superuser(1, 'postgres');
    const [original] =
      await standby`select setting from pg_settings where name = 'primary_conninfo'`;
    const closed = await freePort();
    await setSetting(
      pair,
      1,
      'primary_conninfo',
      String(original?.setting).replace(/port=\d+/, `port=${closed}`),
    );
    try {
      await expect
        .poll(async () => (await standby`select status from pg_stat_wal_receiver`)[0]?.status)
        .not.toBe('streaming');
      const response = await check();
      expect(response.status).toBe(503);
      expectNamesFailing(response.json, ['replica-not-receiving']);
      expectHealthyMeasured(response.json.replicas);
      const status = await health();
      expect(status.status).toBe(503);
      expectNamesFailing(status.json, ['replica-not-receiving']);
    } finally {
      await setSetting(pair, 1, 'primary_conninfo', String(original?.setting));
    }
    await expect.poll(async () => (await check()).status, { timeout: 10_000 }).toBe(200);
  });

  it('a replica of another cluster: named, while both standbys are measured', async () => {
    // A server from its own initdb: another system_identifier.
    const runAs = postgresAccount();
    const binaries = await findPgBinaries(runAs);
    const base = await mkdtemp(join(tmpdir(), 'pg-other-'));
    await ensureDir(base, runAs, 0o755);
    await ensureDir(join(base, 'sockets'), runAs);
    const port = await freePort();
    await initCluster(binaries, join(base, 'data'), pair.superuserPassword, runAs);
    const other = await startPostgres(binaries, {
      dataDir: join(base, 'data'),
      socketDir: join(base, 'sockets'),
      port,
      logFile: join(base, 'log'),
      runAs,
      settings: { fsync: 'off' },
    });
    const foreignEndpoint = `127.0.0.1:${port}`;
    const foreign = await startTestService({
      ...pair.env,
      POSTGRES_REPLICA_ENDPOINTS: [...pair.endpoints, foreignEndpoint].join(','),
    });
    try {
      await ensureAppDatabase(port, pair.superuserPassword, APP);
      const response = await check(httpClient(foreign.url, pair.env));
      expect(response.status).toBe(503);
      const named = response.json.failures.filter((f: Named) => f.endpoint !== undefined);
      expect(named.map((f: Named) => [f.type, f.endpoint])).toEqual([
        ['replica-not-standby', foreignEndpoint],
        ['different-cluster', foreignEndpoint],
      ]);
      expect(response.json.replicas.slice(0, 2).map((r: { ok: boolean }) => r.ok)).toEqual([
        true,
        true,
      ]);
    } finally {
      await foreign.close();
      await other.stop();
      await rm(base, { recursive: true, force: true });
    }
  });

  it('an endpoint that reaches the primary itself (after a failover) is the primary, not a failure', async () => {
    const primaryEndpoint = `127.0.0.1:${pair.pair.primary.port}`;
    const listed = await startTestService({
      ...pair.env,
      POSTGRES_REPLICA_ENDPOINTS: [primaryEndpoint, ...pair.endpoints].join(','),
    });
    try {
      const response = await check(httpClient(listed.url, pair.env));
      expect(response.status, JSON.stringify(response.json.failures)).toBe(200);
      expect(response.json.replicas[0]).toMatchObject({
        endpoint: primaryEndpoint,
        ok: true,
        role: 'primary',
        samples: 0,
        lag_ms: { last: null },
      });
      expect(response.json.replicas.slice(1).map((r: { seen: number }) => r.seen)).toEqual([
        WINDOW.samples,
        WINDOW.samples,
      ]);
    } finally {
      await listed.close();
    }
  });
});

describe('replication slots', () => {
  it('an inactive slot retaining more WAL than allowed is a failure', async () => {
    const primary = pair.superuser('primary', 'postgres');
    await primary`select pg_create_physical_replication_slot('forgotten', true)`;
    const strict = await startTestService({ ...pair.env, REPLICA_MAX_SLOT_RETAINED_BYTES: '0' });
    try {
      await primary`select pg_switch_wal()`;
      const client = httpClient(strict.url, pair.env);
      const response = await client.request('POST', '/replication_check');
      expect(response.status).toBe(503);
      expect(response.json.failures).toEqual([
        expect.objectContaining({
          type: 'slot-retention',
          detail: expect.stringMatching(/^inactive replication slot forgotten retains \d+ bytes/),
        }),
      ]);
      expect((await client.request('GET', '/status/replication')).status).toBe(503);
      // Within the default 1 GiB: fine.
      expect((await check()).status).toBe(200);
    } finally {
      await strict.close();
      await primary`select pg_drop_replication_slot('forgotten')`;
    }
  });

  it.each(['lost', 'unreserved'])('a slot whose WAL is %s is a failure', (status) => {
    const slot = { slot_name: 's', slot_type: 'physical', active: true, retained_wal_bytes: 1 };
    expect(slotFailures([{ ...slot, wal_status: status }], 1024)).toEqual([
      expect.objectContaining({ type: 'slot-lost' }),
    ]);
    expect(slotFailures([{ ...slot, wal_status: 'reserved' }], 1024)).toEqual([]);
  });
});

// Last: promotion cannot be undone.
describe('a promoted standby', () => {
  it('is named as not a standby on a new timeline, and a check against it as the primary reports the failover', async () => {
    await pair.superuser(1, 'postgres')`select pg_promote()`;
    const response = await check();
    expect(response.status).toBe(503);
    expectNamesFailing(response.json, ['replica-not-standby', 'timeline-mismatch']);
    expectHealthyMeasured(response.json.replicas);
    const status = await health();
    expect(status.status).toBe(503);
    expectNamesFailing(status.json, ['replica-not-standby']);

    // The same prober, now writing its heartbeat on the promoted server: the
    // row it finds was written on timeline 1, it writes on timeline 2.
    logLines.length = 0;
    const afterFailover = await startTestService(
      {
        ...pair.env,
        K_SERVICE: 'failure-test',
        POSTGRES_MAIN_PORT: String(pair.pair.standbys[1]?.port),
        POSTGRES_REPLICA_ENDPOINTS: healthy,
        EXPECTED_STANDBYS: '0',
      },
      (_severity, _message, fields = {}) => {
        if (fields.check === 'replication') logLines.push(fields);
      },
    );
    try {
      const failover = await check(httpClient(afterFailover.url, pair.env));
      expect(failover.json.events).toEqual([
        {
          type: 'failover',
          detail: 'the primary moved to timeline 2 (was 1) since the previous heartbeat',
        },
      ]);
      // Standby 1 still follows the old primary: that is a failure, the failover is not.
      expect(failover.json.failures.map((f: Named) => f.type)).toEqual(['timeline-mismatch']);
      expect(logLines.at(-1)).toMatchObject({ failover: true, events: ['failover'] });
    } finally {
      await afterFailover.close();
    }
  });
});

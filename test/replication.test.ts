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
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { APP, startTestPair, type TestPair } from './support/testPair.js';

const CONNECT_TIMEOUT_MS = 1000;
const APPLY_DELAY_MS = 300;

let pair: TestPair;
let service: RunningService;
let strict: RunningService;
let standalone: RunningService;
let api: Client;
const logLines: { severity: string; message: string; fields: Record<string, unknown> }[] = [];

beforeAll(async () => {
  pair = await startTestPair();
  const timeouts = {
    DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    DB_QUERY_TIMEOUT_MS: '2000',
    K_SERVICE: 'replication-test',
  };
  service = await startTestService({ ...pair.env, ...timeouts }, (severity, message, fields = {}) =>
    logLines.push({ severity, message, fields }),
  );
  // Same pair, stricter expectations: two standbys, 100 ms of lag at most.
  strict = await startTestService({
    ...pair.env,
    ...timeouts,
    EXPECTED_STANDBYS: '2',
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

/** ALTER SYSTEM, reload, and wait until the server reads the new value. */
async function setSetting(role: 'primary' | 'replica', name: string, value: string) {
  const sql = pair.superuser(role, 'postgres');
  await sql.unsafe(`alter system set ${name} = '${value}'`);
  await sql`select pg_reload_conf()`;
  const expected = (await sql`select ${value}::text as value`)[0]?.value;
  await expect
    .poll(async () => {
      const [row] = await sql`select setting, unit from pg_settings where name = ${name}`;
      return row?.unit === 'ms' ? `${row.setting}ms` : row?.setting;
    })
    .toBe(expected);
}

const setApplyDelay = (ms: number) => setSetting('replica', 'recovery_min_apply_delay', `${ms}ms`);
const setSynchronousStandbyNames = (value: string) =>
  setSetting('primary', 'synchronous_standby_names', value);

const check = (client = api) => client.request('POST', '/replication_check');

describe('a healthy pair', () => {
  it('reports the measured lag, both LSNs, every standby and both hosts, and logs one line', async () => {
    logLines.length = 0;
    const response = await check();
    expect(response.status).toBe(200);
    const report = response.json;
    expect(report).toMatchObject({ status: 'ok', prober: 'replication-test', threshold_ms: 5000 });
    expect(report.lag_ms).toBeGreaterThanOrEqual(0);
    expect(report.lag_ms).toBeLessThan(100);
    expect(report.primary_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.replica_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.lag_bytes).toEqual(expect.any(Number));
    expect(report.standbys).toEqual([
      expect.objectContaining({
        application_name: 'replica1',
        state: 'streaming',
        sync_state: 'async',
      }),
    ]);
    expect(report.standbys[0]).toHaveProperty('replay_lag_bytes');
    expect(report.primary.system_identifier).toBe(report.replica.system_identifier);
    expect(report.primary.timeline).toBe(report.replica.timeline);
    expect(report.replica.wal_receiver.status).toBe('streaming');
    expect(report.replication_slots).toEqual([]);
    expect(report.synchronous_standby).toEqual({ expected: false, present: false });
    expect(JSON.stringify(report)).not.toMatch(/password|conninfo/);

    const lines = logLines.filter((line) => line.fields.check === 'replication');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      severity: 'INFO',
      fields: { lag_ms: report.lag_ms, failures: [] },
    });
  });

  it('keeps one heartbeat row per prober', async () => {
    await check();
    await check();
    const rows = await pair.superuser(
      'primary',
    )`select prober, sequence from replication_heartbeat`;
    expect(rows.map((row) => row.prober)).toEqual(['replication-test']);
    expect(Number(rows[0]?.sequence)).toBeGreaterThanOrEqual(3);
  });

  it('answers /status/replication without writing', async () => {
    const before = await pair.superuser('primary')`select sequence from replication_heartbeat`;
    const response = await api.request('GET', '/status/replication');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      status: 'ok',
      lag_bytes: expect.any(Number),
      max_lag_ms: 5000,
    });
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
    expect((await check(httpClient(service.url, {}))).status).toBe(401);
  });
});

describe('failures, each named', () => {
  it('measures an injected apply delay within ±50 ms, and min_lsn waits exactly that long', async () => {
    await setApplyDelay(APPLY_DELAY_MS);
    try {
      const measured = await check();
      expect(measured.status).toBe(200);
      expect(Math.abs(measured.json.lag_ms - APPLY_DELAY_MS)).toBeLessThanOrEqual(50);

      const lagging = await check(httpClient(strict.url, pair.env));
      expect(lagging.status).toBe(503);
      expect(lagging.json.type).toBe('urn:pg-replica-functions:problem:standbys-missing');
      expect(lagging.json.failures.map((f: { type: string }) => f.type)).toEqual([
        'standbys-missing',
        'replication-lag',
      ]);
      expect(lagging.json.failures[1].detail).toMatch(/after \d+ ms \(threshold 100 ms\)/);

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
      await setApplyDelay(0);
    }
  });

  it('/status/replication: lag thresholds per request, and lag in time is not the idle time before a write', async () => {
    await setApplyDelay(1000);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a quiet primary
      const created = await api.request('POST', '/country', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Quietland', two_letter: 'QT', country_id: 922 }),
      });
      expect(created.status).toBe(201);
      // Inside the 1 s apply delay: bytes behind, but nowhere near 1.5 s behind.
      const byBytes = await api.request('GET', '/status/replication?max_lag_bytes=0');
      expect(byBytes.status).toBe(503);
      expect(byBytes.json.failures.map((f: { type: string }) => f.type)).toContain(
        'replication-lag',
      );
      expect(byBytes.json.lag_bytes).toBeGreaterThan(0);
      const byTime = await api.request('GET', '/status/replication?max_lag_ms=1400');
      expect(byTime.status, JSON.stringify(byTime.json)).toBe(200);
      expect(byTime.json.max_lag_ms).toBe(1400);
    } finally {
      await setApplyDelay(0);
      await api.request('DELETE', '/country/QT');
    }
  });

  it('reports a missing synchronous standby at once, without writing (the write would hang)', async () => {
    await setSynchronousStandbyNames('ghost');
    try {
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
      await setSynchronousStandbyNames('');
    }
  });

  it('reports a stopped replica within the connect timeout and recovers without a restart', async () => {
    await pair.pair.replica.stop();
    try {
      const started = performance.now();
      const response = await check();
      expect(response.status).toBe(503);
      expect(response.json.type).toBe('urn:pg-replica-functions:problem:replica-unreachable');
      expect(performance.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS + 1000);
      expect((await api.request('GET', '/status/replication')).status).toBe(503);
    } finally {
      await pair.pair.restart('replica');
    }
    const deadline = Date.now() + 5000;
    let response = await check();
    while (response.status !== 200 && Date.now() < deadline) response = await check();
    expect(response.status).toBe(200);
  });

  it('reports a "replica" that belongs to another cluster', async () => {
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
    const foreign = await startTestService({
      ...pair.env,
      POSTGRES_REPLICATION_PORT: String(port),
    });
    try {
      await ensureAppDatabase(port, pair.superuserPassword, APP);
      const response = await check(httpClient(foreign.url, pair.env));
      expect(response.status).toBe(503);
      const types = response.json.failures.map((f: { type: string }) => f.type);
      expect(types).toEqual(expect.arrayContaining(['replica-not-standby', 'different-cluster']));
      expect(response.json.replica.system_identifier).not.toBe(
        response.json.primary.system_identifier,
      );
    } finally {
      await foreign.close();
      await other.stop();
      await rm(base, { recursive: true, force: true });
    }
  });

  it('reports a promoted replica as not a standby', async () => {
    await pair.superuser('replica', 'postgres')`select pg_promote()`;
    const response = await check();
    expect(response.status).toBe(503);
    expect(response.json.type).toBe('urn:pg-replica-functions:problem:replica-not-standby');
    expect(response.json.replica.in_recovery).toBe(false);
    // Promotion also started a new timeline on the former replica.
    expect(response.json.replica.timeline).toBeGreaterThan(response.json.primary.timeline);
    expect(response.json.failures.map((f: { type: string }) => f.type)).toContain(
      'timeline-mismatch',
    );
    const status = await api.request('GET', '/status/replication');
    expect(status.status).toBe(503);
    expect(status.json.failures.map((f: { type: string }) => f.type)).toContain(
      'replica-not-standby',
    );
  });
});

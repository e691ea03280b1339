import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { httpClient } from './support/http.js';
import { ROOT, spawnEntry } from './support/process.js';
import { startTestService } from './support/service.js';
import { setApplyDelay } from './support/settings.js';
import { APP, startTestPair, type TestPair } from './support/testPair.js';

// The probe (npm run probe) on a real primary and two standbys: every exit
// code of the Monitoring Plugins conventions, perfdata in their grammar, and
// JSON shaped as the HTTP answer. Each test spawns the probe (through tsx)
// one or more times: on a loaded 2-core machine a spawn takes seconds.

let pair: TestPair;
let service: RunningService;
beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
  service = await startTestService(pair.env);
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

const uri = (port: number, password = APP.password, database = APP.database) =>
  `postgresql://${APP.role}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}?sslmode=disable`;

async function probe(args: string[], env: Record<string, string> = {}) {
  const run = spawnEntry('synthetic/probe.ts', env, args);
  const code = await run.exited;
  return { code, output: run.output() };
}

function clusterArgs(options: { password?: string; database?: string } = {}): string[] {
  const { password, database } = options;
  return [
    '--primary',
    uri(pair.pair.primary.port, password, database),
    ...pair.pair.standbys.flatMap((standby) => [
      '--replica',
      uri(standby.port, password, database),
    ]),
  ];
}
const WINDOW = ['--samples', '3', '--interval-ms', '200'];

// Monitoring Plugins guidelines: 'label'=value[UOM];[warn];[crit];[min];[max]
const PERFDATA =
  /^'[^'=]+'=(?:-?\d+(?:\.\d+)?|U)(?:us|ms|s|%|B|KB|MB|TB|c)?(?:;(?:-?[\d.]*)?){0,4}$/;

describe('npm run probe --format nagios', { timeout: 120_000 }, () => {
  it('OK (0) on a healthy cluster, with perfdata per replica in the guidelines grammar', async () => {
    const { code, output } = await probe([...clusterArgs(), ...WINDOW, '--format', 'nagios']);
    expect(code, output).toBe(0);
    const [status, perfdata = ''] = output.trim().split(' | ');
    expect(status).toMatch(/^PG_REPLICA OK - 2 replica\(s\) ok, worst standby\d p99 [\d.]+ ms$/);
    const items = perfdata.split(' ');
    for (const item of items) expect(item).toMatch(PERFDATA);
    for (const name of ['standby1', 'standby2']) {
      expect(items.some((item) => item.startsWith(`'${name}_lag_p99'=`))).toBe(true);
      expect(items).toContain(`'${name}_seen'=3;;;0;3`);
    }
    expect(perfdata).toMatch(/'standby1_lag_p99'=[\d.]+ms;1000;5000;0/);
  });

  it('WARNING (1) when a standby lags past --warning but within --critical', async () => {
    await setApplyDelay(pair, 1, 400);
    try {
      const { code, output } = await probe([
        ...clusterArgs(),
        ...WINDOW,
        '--warning',
        '200',
        '--critical',
        '3000',
        '--format',
        'nagios',
      ]);
      expect(code, output).toBe(1);
      expect(output).toMatch(
        /^PG_REPLICA WARNING - 2 replica\(s\) ok, worst standby2 p99 (?:39\d|4\d\d)\.\d+ ms \|/,
      );
    } finally {
      await setApplyDelay(pair, 1, 0);
    }
  });

  it('CRITICAL (2) naming a paused standby and the failure types', async () => {
    const standby2 = pair.superuser(1);
    await standby2`select pg_wal_replay_pause()`;
    try {
      const { code, output } = await probe([
        ...clusterArgs(),
        ...WINDOW,
        '--critical',
        '1000',
        '--format',
        'nagios',
      ]);
      expect(code, output).toBe(2);
      expect(output).toMatch(/^PG_REPLICA CRITICAL - standby2: .*replica-not-replaying/);
      expect(output).toContain("'standby2_seen'=0;;;0;3");
    } finally {
      await standby2`select pg_wal_replay_resume()`;
    }
  });

  it('UNKNOWN (3) with a clear message for a wrong password, and for bad arguments', async () => {
    const wrong = await probe([
      ...clusterArgs({ password: 'not-the-password' }),
      '--format',
      'nagios',
    ]);
    expect(wrong.code).toBe(3);
    expect(wrong.output).toMatch(
      /^PG_REPLICA UNKNOWN - the primary database rejected the credentials/,
    );
    expect(wrong.output).not.toContain('not-the-password');

    for (const args of [
      ['--format', 'nagios'],
      [...clusterArgs(), '--samples', 'many', '--format', 'nagios'],
      [...clusterArgs(), '--warning', '900', '--critical', '100', '--format', 'nagios'],
      ['--primary', 'http://example', '--replica', 'x', '--format', 'nagios'],
    ]) {
      const bad = await probe(args);
      expect(bad.code, args.join(' ')).toBe(3);
      expect(bad.output).toMatch(/^PG_REPLICA UNKNOWN - \S/);
    }
  });
});

describe('npm run probe --format json and table', { timeout: 120_000 }, () => {
  /** Every key path of a JSON value, arrays read through their first element. */
  function shape(value: unknown, path = ''): string[] {
    if (Array.isArray(value))
      return value.length > 0 ? shape(value[0], `${path}[]`) : [`${path}[]`];
    if (value && typeof value === 'object')
      return Object.entries(value).flatMap(([key, inner]) => [
        `${path}.${key}`,
        ...shape(inner, `${path}.${key}`),
      ]);
    return [];
  }
  const VARYING = /history_stored|history_error/;

  it('prints what POST /replication_check answers, in the same shape', async () => {
    const { code, output } = await probe([...clusterArgs(), ...WINDOW, '--format', 'json']);
    expect(code, output).toBe(0);
    const fromProbe = JSON.parse(output);
    const http = await httpClient(service.url, pair.env).request(
      'POST',
      '/replication_check?samples=3&interval_ms=200',
    );
    expect(http.status).toBe(200);
    const keys = (body: unknown) =>
      shape(body)
        .filter((key) => !VARYING.test(key))
        .sort();
    expect(keys(fromProbe)).toEqual(keys(http.json));
    expect(fromProbe.replicas.map((replica: { endpoint: string }) => replica.endpoint)).toEqual(
      pair.endpoints,
    );
  });

  it('prints one line per replica for a terminal', async () => {
    const { code, output } = await probe([...clusterArgs(), ...WINDOW]);
    expect(code, output).toBe(0);
    const lines = output.trim().split('\n');
    expect(lines[0]).toMatch(
      /^replica\s+name\s+state\s+seen\s+p50 ms\s+p99 ms\s+max ms\s+polls\s+failures$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(`^${pair.endpoints[0]}\\s+standby1\\s+ok\\s+3/3\\s+[\\d.]+`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${pair.endpoints[1]}\\s+standby2\\s+ok\\s+3/3\\s+[\\d.]+`),
    );
    expect(lines.at(-1)).toBe('OK');
  });
});

describe('--setup', { timeout: 120_000 }, () => {
  it('creates only the heartbeat table, with the columns the migrations give it', async () => {
    const superuser = pair.superuser('primary', 'postgres');
    await superuser`create database probe_only owner ${superuser(APP.role)}`;
    try {
      const without = await probe([
        ...clusterArgs({ database: 'probe_only' }),
        '--format',
        'nagios',
      ]);
      expect(without.code).toBe(3);
      expect(without.output).toContain('no replication_heartbeat table: run once with --setup');

      const setup = await probe([
        ...clusterArgs({ database: 'probe_only' }),
        ...WINDOW,
        '--setup',
        '--format',
        'nagios',
      ]);
      expect(setup.code, setup.output).toBe(0);
      const columns = (sql: postgres.Sql) => sql`
        select table_name, column_name, data_type, is_nullable from information_schema.columns
        where table_schema = 'public' order by table_name, ordinal_position`;
      const created = await columns(pair.superuser('primary', 'probe_only'));
      const migrated = (await columns(pair.superuser('primary'))).filter(
        (row) => row.table_name === 'replication_heartbeat',
      );
      expect(created).toEqual(migrated);
    } finally {
      await superuser`drop database if exists probe_only with (force)`;
    }
  });
});

describe('the code path', () => {
  it('is the HTTP check’s: the probe calls runReplicationCheck and the same 503 document, and holds no SQL', () => {
    const source = readFileSync(join(ROOT, 'synthetic/probe.ts'), 'utf8');
    expect(source).toMatch(/import \{ runReplicationCheck \} from '\.\.\/replication\/check\.js'/);
    expect(source).toMatch(/runReplicationCheck\(/);
    expect(source).toMatch(/import \{ replicationFailed \} from '\.\.\/http\/problems\.js'/);
    expect(source).toMatch(/import \{ parseConfig|import \{ ConfigError, parseConfig \}/);
    expect(source).not.toMatch(/\b(select|insert|create table)\b/i);
    const http = readFileSync(join(ROOT, 'functions/replicationCheck.ts'), 'utf8');
    expect(http).toMatch(/runReplicationCheck\(/);
    expect(http).toMatch(/replicationFailed\(/);
  });
});

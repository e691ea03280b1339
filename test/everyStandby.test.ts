import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// The service's default configuration: no POSTGRES_REPLICA_ENDPOINTS, so only
// the read endpoint (standby 1) is verified through an endpoint, and
// EXPECTED_STANDBYS at its default. Standby 2 streams from the primary all the
// same: it must be accounted for, on the primary's own figures.
const MAX_LAG_MS = 1000;

let pair: TestPair;
let service: RunningService;
let api: Client;
const warnings: string[] = [];

function defaultEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    ...pair.env,
    POSTGRES_REPLICA_ENDPOINTS: undefined,
    EXPECTED_STANDBYS: undefined,
    REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
    ...extra,
  };
}

beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
  service = await startTestService(defaultEnv());
  api = httpClient(service.url, pair.env);
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

type Failure = { type: string; standby?: string; endpoint?: string; detail: string };
const about = (failures: Failure[], standby: string) =>
  failures.filter((failure) => failure.standby === standby).map((failure) => failure.type);
const check = (client = api) => client.request('POST', '/replication_check');
const health = (client = api) => client.request('GET', '/status/replication');

describe('a standby no endpoint verifies', () => {
  it('is standby-unverified in the check and the health, named with the figures the primary has', async () => {
    for (const answer of [await check(), await health()]) {
      expect(answer.status).toBe(503);
      const unverified = answer.json.failures.find(
        (failure: Failure) => failure.type === 'standby-unverified',
      );
      expect(unverified).toMatchObject({ standby: 'standby2' });
      expect(unverified.detail).toMatch(
        /^standby standby2 \(127\.0\.0\.1\) streams from the primary but no endpoint verifies it; the primary sees replay lag .+, \d+ bytes behind$/,
      );
      // Standby 1, verified through the read endpoint, is not among them.
      expect(about(answer.json.failures, 'standby1')).toEqual([]);
    }
  });

  it('fails the check when its replay is paused: it stood still while falling behind', async () => {
    const standby2 = pair.superuser(1);
    await standby2`select pg_wal_replay_pause()`;
    try {
      const answer = await check();
      expect(answer.status).toBe(503);
      expect(about(answer.json.failures, 'standby2')).toEqual([
        'standby-stalled',
        'standby-unverified',
      ]);
      expect(answer.json.failures[0]?.detail).toMatch(
        /^standby standby2 \(127\.0\.0\.1\) replayed nothing during the window: the primary sees its replay stand at \S+ while it fell from \d+ to \d+ bytes behind$/,
      );
      const status = await health();
      expect(status.status).toBe(503);
      expect(about(status.json.failures, 'standby2')).toContain('standby-unverified');
    } finally {
      await standby2`select pg_wal_replay_resume()`;
    }
  });

  it('fails the check when it is frozen, within the threshold after the heartbeat', async () => {
    pair.pair.standbys[1]?.signalAll('SIGSTOP');
    try {
      const started = performance.now();
      const answer = await check();
      expect(answer.status).toBe(503);
      expect(about(answer.json.failures, 'standby2')).toEqual(
        expect.arrayContaining(['standby-stalled']),
      );
      // It waited for standby 2's reply no longer than the threshold.
      expect(performance.now() - started).toBeLessThan(MAX_LAG_MS + 3000);
    } finally {
      pair.pair.standbys[1]?.signalAll('SIGCONT');
    }
  });
});

describe('REPLICATION_IGNORED_STANDBYS', () => {
  it('leaves a listed standby unverified without failing, even paused', async () => {
    const ignoring = await startTestService(
      defaultEnv({ REPLICATION_IGNORED_STANDBYS: 'standby2' }),
    );
    const standby2 = pair.superuser(1);
    try {
      const client = httpClient(ignoring.url, pair.env);
      expect((await check(client)).status).toBe(200);
      expect((await health(client)).status).toBe(200);
      await standby2`select pg_wal_replay_pause()`;
      const paused = await check(client);
      expect(paused.status, JSON.stringify(paused.json.failures)).toBe(200);
    } finally {
      await standby2`select pg_wal_replay_resume()`;
      await ignoring.close();
    }
  });
});

describe('fewer endpoints than EXPECTED_STANDBYS', () => {
  it('warns at start-up and fails every answer', async () => {
    const strict = await startTestService(
      defaultEnv({ EXPECTED_STANDBYS: '2', REPLICATION_IGNORED_STANDBYS: 'standby2' }),
      (severity, message) => {
        if (severity === 'WARNING') warnings.push(message);
      },
    );
    try {
      expect(warnings).toContainEqual(
        expect.stringMatching(/1 replica endpoint\(s\) configured, EXPECTED_STANDBYS is 2/),
      );
      const client = httpClient(strict.url, pair.env);
      for (const answer of [await check(client), await health(client)]) {
        expect(answer.status).toBe(503);
        expect(answer.json.failures.map((failure: Failure) => failure.type)).toContain(
          'endpoints-missing',
        );
      }
    } finally {
      await strict.close();
    }
  });
});

describe('standbys reconnecting when a check begins', () => {
  it('are matched to their endpoints once the window is over, not reported unverified', async () => {
    const listing = await startTestService({ ...pair.env, REPLICA_MAX_LAG_MS: String(MAX_LAG_MS) });
    try {
      const client = httpClient(listing.url, pair.env);
      // A restarted primary: its standbys reconnect, first without their slots.
      await pair.pair.restart('primary');
      const answer = await client.request('POST', '/replication_check?samples=2&interval_ms=100');
      const types = (answer.json.failures ?? []).map((failure: Failure) => failure.type);
      expect(types).not.toContain('standby-unverified');
      expect(types).not.toContain('standbys-missing');
      expect(
        answer.json.replicas.map((r: { application_name: string }) => r.application_name),
      ).toEqual(['standby1', 'standby2']);
    } finally {
      await listing.close();
    }
  });
});

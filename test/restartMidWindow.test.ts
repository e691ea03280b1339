import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// A standby restarted while a window polls it on an open transaction: the
// check names it (or measured every heartbeat anyway), never answers 500,
// and the next check is whole again. postgres.js throws an uncaught
// TypeError for anything sent on a transaction whose connection closed.

let pair: TestPair;
let service: RunningService;
beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
  service = await startTestService({
    ...pair.env,
    REPLICA_MAX_LAG_MS: '1000',
    DB_QUERY_TIMEOUT_MS: '1500',
    DB_CONNECT_TIMEOUT_MS: '1000',
  });
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

it('a standby restarted at any point of a window is named or measured, never a 500', async () => {
  const api = httpClient(service.url, pair.env);
  const primary = pair.superuser('primary');
  const sequence = async () =>
    Number(
      (
        await primary`select sequence from replication_heartbeat where prober = 'pg-replica-functions'`
      )[0]?.sequence ?? 0,
    );
  for (const heartbeatsIn of [1, 3, 5, 7]) {
    const before = await sequence();
    const answer = api.request('POST', '/replication_check?samples=10&interval_ms=200');
    await expect.poll(sequence, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + heartbeatsIn);
    await pair.pair.restart(1);
    const { status, json, text } = await answer;
    expect([200, 503], `restarted after ${heartbeatsIn} heartbeats: ${text}`).toContain(status);
    if (status === 503) {
      expect(json.failures).toContainEqual(
        expect.objectContaining({ type: 'replica-unreachable', endpoint: pair.endpoints[1] }),
      );
    }
    expect(json.replicas[0]).toMatchObject({ ok: true, seen: 10 });
  }
  await expect
    .poll(async () => (await api.request('POST', '/replication_check')).status, { timeout: 10_000 })
    .toBe(200);
}, 120_000);

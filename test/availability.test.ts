import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 1500;
const MARGIN_MS = 1000;

let pair: TestPair;
let service: RunningService;
let api: Client;

beforeAll(async () => {
  pair = await startTestPair();
  const env = {
    ...pair.env,
    PORT: '0',
    DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
  };
  service = await startTestService(env);
  api = httpClient(service.url, pair.env);
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

async function timed(path: string) {
  const started = performance.now();
  const response = await api.request('GET', path);
  return { ...response, ms: performance.now() - started };
}

it('answers 503 fast for a stopped replica, keeps the primary serving, and recovers by itself', async () => {
  expect((await timed('/country_replica/US')).status).toBe(200);
  await pair.pair.replica.stop();

  const down = await timed('/country_replica/US');
  expect(down.status).toBe(503);
  expect(down.ms).toBeLessThan(CONNECT_TIMEOUT_MS + MARGIN_MS);
  expect(down.headers.get('retry-after')).toBe('1');
  expect(down.json).toMatchObject({
    type: 'urn:pg-replica-functions:problem:database-unavailable',
    host: 'replica',
  });
  expect((await timed('/country/US')).status).toBe(200);

  await pair.pair.restart('replica');
  const started = Date.now();
  let back = await timed('/country_replica/US');
  while (back.status !== 200 && Date.now() - started < 2000)
    back = await timed('/country_replica/US');
  expect(back.status).toBe(200);
});

it('answers 503 within the query deadline for a frozen replica, and recovers on SIGCONT', async () => {
  pair.pair.replica.signalAll('SIGSTOP');
  try {
    const requests = await Promise.all(
      Array.from({ length: 5 }, () => timed('/country_replica/US')),
    );
    for (const frozen of requests) {
      expect(frozen.status).toBe(503);
      expect(frozen.ms).toBeLessThan(QUERY_TIMEOUT_MS + MARGIN_MS);
    }
    expect((await timed('/country/US')).status).toBe(200);
    expect((await timed('/status')).status).toBe(200);
  } finally {
    pair.pair.replica.signalAll('SIGCONT');
  }
  const started = Date.now();
  let back = await timed('/country_replica/US');
  while (back.status !== 200 && Date.now() - started < 3000)
    back = await timed('/country_replica/US');
  expect(back.status).toBe(200);
});

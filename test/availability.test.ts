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

async function timedPost(
  client: Client,
  options: { headers: Record<string, string>; body: string },
) {
  const started = performance.now();
  const response = await client.request('POST', '/country', options);
  return { ...response, ms: performance.now() - started };
}

it('never commits a write it answered 503 for while the primary was frozen', async () => {
  // A fresh service, no connection to the primary open when it freezes, and
  // one connection per host, so that writes queue behind the connection attempt.
  // Its own name, so that its backends can be told from the other service's.
  const name = 'frozen-write-test';
  const fresh = await startTestService({
    ...pair.env,
    K_SERVICE: name,
    DB_POOL_MAX: '1',
    DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
  });
  const primary = pair.superuser('primary');
  try {
    const client = httpClient(fresh.url, pair.env);
    const post = (code: string, countryId: number) =>
      timedPost(client, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Frozenland ${code}`,
          two_letter: code,
          country_id: countryId,
        }),
      });
    const codes = ['QV', 'QW', 'QX'];
    pair.pair.primary.signalAll('SIGSTOP');
    try {
      const answers = await Promise.all(codes.map((code, index) => post(code, 930 + index)));
      expect(answers.map((answer) => answer.status)).toEqual([503, 503, 503]);
      // A host that accepts TCP but never answers: the connect timeout, then
      // the query deadline for the writes queued behind it.
      for (const answer of answers) expect(answer.ms).toBeLessThan(QUERY_TIMEOUT_MS + MARGIN_MS);
    } finally {
      pair.pair.primary.signalAll('SIGCONT');
    }
    // The thawed primary serves this service again: a new write commits…
    await expect.poll(async () => (await post('QU', 933)).status, { timeout: 5000 }).toBe(201);
    // …and every connection the service ever opened has gone quiet: whatever
    // was sent before the thaw has run by now.
    const backends = () => primary`
      select state from pg_stat_activity where application_name = ${`${name}:api`}`;
    await expect
      .poll(async () => (await backends()).filter((row) => row.state !== 'idle'), { timeout: 5000 })
      .toEqual([]);
    const rows =
      await primary`select two_letter from country where two_letter in ${primary(codes)}`;
    expect(rows).toEqual([]);
    // A connection that was still being opened when its pool was dropped may
    // complete on the thaw and idle out (DB_IDLE_TIMEOUT_S): at most one per
    // pool slot, beside the new pool's.
    expect((await backends()).length).toBeLessThanOrEqual(2);
  } finally {
    await primary`delete from country where two_letter = 'QU'`;
    await fresh.close();
  }
});

it('says a host does not accept TLS when POSTGRES_SSLMODE requires it', async () => {
  const tls = await startTestService({ ...pair.env, POSTGRES_SSLMODE: 'require' });
  try {
    const answer = await httpClient(tls.url, pair.env).request('GET', '/country/US');
    expect(answer.status).toBe(503);
    expect(answer.json.detail).toBe(
      'the primary database does not accept TLS: set POSTGRES_SSLMODE=disable (or prefer) for it, or enable TLS on the server',
    );
  } finally {
    await tls.close();
  }
});

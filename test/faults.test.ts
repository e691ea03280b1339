import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { sleep, startLoad } from './support/load.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair, waitForReplay } from './support/testPair.js';

// Faults injected into real PostgreSQL servers while a real service is under
// load. Each test is bounded in time and asserts exact outcomes.
const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 1500;
const POOL_MAX = 5;
const MARGIN_MS = 750;

let pair: TestPair;
let service: RunningService;
let api: Client;

beforeAll(async () => {
  pair = await startTestPair();
  service = await startTestService({
    ...pair.env,
    DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
    DB_POOL_MAX: String(POOL_MAX),
  });
  api = httpClient(service.url, pair.env);
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

const post = (row: { name: string; two_letter: string; country_id: number }) =>
  api.request('POST', '/country', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(row),
  });

async function untilOk(path: string, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { status } = await api.request('GET', path);
    if (status === 200) return Date.now() - started;
    if (Date.now() - started > withinMs)
      throw new Error(`${path} still ${status} after ${withinMs} ms`);
    await sleep(20);
  }
}

describe('fault injection under load', () => {
  it('1. replica stopped: primary unaffected, replica 503 within the connect timeout, back within 2 s', async () => {
    const load = startLoad(api, ['/country/US', '/country_replica/US']);
    await sleep(300);
    await pair.pair.replica.stop();
    const stoppedAt = performance.now();
    await sleep(1500);
    await pair.pair.restart('replica');
    const recoveredIn = await untilOk('/country_replica/US', 2000);
    const samples = await load.stop();

    const primary = samples.filter((s) => s.path === '/country/US');
    expect(primary.filter((s) => s.status !== 200)).toEqual([]);
    const failed = samples.filter((s) => s.path === '/country_replica/US' && s.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    for (const sample of failed) {
      expect(sample.status).toBe(503);
      expect(sample.ms).toBeLessThan(CONNECT_TIMEOUT_MS + MARGIN_MS);
      expect(sample.at).toBeGreaterThan(stoppedAt - 1000);
    }
    expect(recoveredIn).toBeLessThan(2000);
  });

  it('2. replica frozen: 503 within the query timeout, no pile-up, the rest responsive, SIGCONT recovers', async () => {
    const load = startLoad(api, ['/country_replica/US', '/country/US', '/status'], 8);
    await sleep(300);
    pair.pair.replica.signalAll('SIGSTOP');
    const frozenAt = performance.now();
    await sleep(2500);
    pair.pair.replica.signalAll('SIGCONT');
    const recoveredIn = await untilOk('/country_replica/US', 3000);
    const samples = await load.stop();

    const during = samples.filter((s) => s.at > frozenAt && s.at < frozenAt + 2500);
    const replica = during.filter((s) => s.path === '/country_replica/US');
    expect(replica.some((s) => s.status === 503)).toBe(true);
    for (const sample of replica) {
      expect([200, 503]).toContain(sample.status);
      expect(sample.ms).toBeLessThan(QUERY_TIMEOUT_MS + MARGIN_MS);
    }
    const others = during.filter((s) => s.path !== '/country_replica/US');
    expect(others.length).toBeGreaterThan(10);
    expect(others.filter((s) => s.status !== 200)).toEqual([]);
    expect(recoveredIn).toBeLessThan(3000);
    // No pile-up: nothing queued while frozen runs afterwards, and what the
    // service holds stays bounded. A connection that was mid-handshake when
    // the pool was destroyed can still complete after SIGCONT and idles out
    // (DB_IDLE_TIMEOUT_S), so allow one pool's worth on top of the current one.
    await sleep(500);
    const [busy] = await pair.superuser('replica', 'postgres')`
      select count(*) filter (where state = 'active')::int as active, count(*)::int as total
      from pg_stat_activity where usename = 'app'`;
    expect(busy?.active).toBe(0);
    expect(busy?.total).toBeLessThanOrEqual(2 * POOL_MAX);
  });

  it('3. primary restarted during writes: 503s, no 500 or hang; every 201 is stored, on both hosts', async () => {
    const codes = Array.from({ length: 26 }, (_, i) => `X${String.fromCharCode(65 + i)}`);
    const outcomes: { code: string; status: number; ms: number }[] = [];
    let next = 0;
    const writer = async () => {
      while (next < codes.length) {
        const index = next++;
        const code = codes[index] ?? 'XA';
        const started = performance.now();
        const { status } = await post({
          name: `Restart ${code}`,
          two_letter: code,
          country_id: 960 + index,
        });
        outcomes.push({ code, status, ms: performance.now() - started });
        await sleep(40);
      }
    };
    const writers = Promise.all([writer(), writer()]);
    await sleep(150);
    // Down for a while, so that writes land in the outage.
    await pair.pair.primary.stop();
    await sleep(400);
    await pair.pair.restart('primary');
    await writers;

    // Each code is posted once: a write is 201 or 503, never 500, 409 or a hang.
    for (const outcome of outcomes) {
      expect([201, 503]).toContain(outcome.status);
      expect(outcome.ms).toBeLessThan(QUERY_TIMEOUT_MS + MARGIN_MS);
    }
    expect(outcomes.some((o) => o.status === 503)).toBe(true);
    expect(outcomes.some((o) => o.status === 201)).toBe(true);
    await waitForReplay(pair);
    const created = outcomes.filter((o) => o.status === 201).map((o) => o.code);
    for (const role of ['primary', 'replica'] as const) {
      const rows = await pair.superuser(
        role,
      )`select two_letter, name from country where two_letter like 'X_'`;
      const stored = new Map(rows.map((row) => [row.two_letter as string, row.name as string]));
      // Every acknowledged write is there, as it was written.
      for (const code of created)
        expect(stored.get(code), `${role} ${code}`).toBe(`Restart ${code}`);
    }
    await pair.superuser('primary')`delete from country where two_letter like 'X_'`;
  });

  it('4. backends terminated: GETs succeed (reads are retried); a POST gets 201 or 503, never a duplicate', async () => {
    expect((await api.request('GET', '/country/US')).status).toBe(200);
    const terminate = () =>
      Promise.all(
        (['primary', 'replica'] as const).map(
          (role) => pair.superuser(role, 'postgres')`
            select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app'`,
        ),
      );
    // Every pooled connection open, so that a read may meet POOL_MAX dead ones in turn.
    await Promise.all(
      ['/country/US', '/country_replica/US'].flatMap((path) =>
        Array.from({ length: 2 * POOL_MAX }, () => api.request('GET', path)),
      ),
    );
    await terminate();
    for (const path of ['/country/US', '/country_replica/US', '/country', '/country_replica']) {
      const { status, json } = await api.request('GET', path);
      expect(status, `${path}: ${json?.detail}`).toBe(200);
    }
    // A write is never retried by the service: after a terminated backend the
    // client sees 503 (maybe committed: read before retrying) or 201.
    await terminate();
    // What a client does: retry on 503 until the answer is final. A 503 may
    // have committed (terminated after the statement ran), so the final
    // answer is 201, or 409 when an earlier attempt had committed.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const { status } = await post({ name: 'Terminated', two_letter: 'QV', country_id: 950 });
      statuses.push(status);
      if (status !== 503) break;
    }
    for (const status of statuses) expect([201, 409, 503]).toContain(status);
    expect([201, 409]).toContain(statuses.at(-1));
    if (statuses.at(-1) === 409) expect(statuses).toContain(503);
    const rows = await pair.superuser(
      'primary',
    )`select count(*)::int as count from country where two_letter = 'QV'`;
    expect(rows[0]?.count).toBe(1);
    await pair.superuser('primary')`delete from country where two_letter = 'QV'`;
  });

  it('5. hundreds of racing duplicate POSTs: exactly one 201 per code, 409 for the rest, no 5xx', async () => {
    const codes = Array.from({ length: 26 }, (_, i) => `X${String.fromCharCode(65 + i)}`).concat([
      'QM',
      'QN',
      'QO',
      'QP',
      'QQ',
      'QR',
      'QS',
      'QT',
      'QU',
      'QW',
    ]);
    const attempts = codes.flatMap((code, index) =>
      Array.from({ length: 10 }, (_, k) => ({
        name: `Race ${code} ${k}`,
        two_letter: k % 2 ? code.toLowerCase() : code,
        country_id: 900 + index,
      })),
    );
    attempts.sort(() => Math.random() - 0.5);
    // Flush connections the earlier faults left dead (reads are retried;
    // writes are not, so a write on a dead connection would be a fair 503).
    await Promise.all(
      Array.from({ length: 2 * POOL_MAX }, () => api.request('GET', '/country/US')),
    );
    const statuses = new Map<string, number[]>();
    const details: string[] = [];
    const conflictFields = new Set<string>();
    const queue = [...attempts];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let row = queue.pop(); row; row = queue.pop()) {
          const { status, json } = await post(row);
          const code = row.two_letter.toUpperCase();
          statuses.set(code, [...(statuses.get(code) ?? []), status]);
          if (status !== 201 && status !== 409) details.push(`${code}: ${status} ${json?.detail}`);
          if (status === 409) conflictFields.add(json?.errors?.[0]?.field);
        }
      }),
    );
    expect(details).toEqual([]);
    // Every attempt at a code shares both values: each 409 names two_letter,
    // also when the winner committed after the loser's insert began.
    expect([...conflictFields]).toEqual(['two_letter']);
    for (const code of codes) {
      const seen = statuses.get(code) ?? [];
      expect(
        seen.filter((s) => s === 201),
        code,
      ).toHaveLength(1);
      expect(
        seen.filter((s) => s !== 201 && s !== 409),
        code,
      ).toEqual([]);
    }
    await waitForReplay(pair);
    for (const role of ['primary', 'replica'] as const) {
      const rows = await pair.superuser(role)`
        select count(*)::int as count from country where country_id between 900 and ${900 + codes.length - 1}`;
      expect(rows[0]?.count, role).toBe(codes.length);
    }
    await pair.superuser('primary')`delete from country where country_id between 900 and 999`;
  });
});

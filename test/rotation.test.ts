import type postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeSecretManager, startFakeSecretManager } from '../dev/fakeSecretManager.js';
import type { RunningService } from '../server/service.js';
import { httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { APP, startTestPair, type TestPair, waitForReplay } from './support/testPair.js';

// Rotation while the server runs: new Postgres and Basic passwords take
// effect without a restart, and no request fails on the way.
let fake: FakeSecretManager;
let pair: TestPair;
let service: RunningService;
const REFRESH_S = 1;
const DB_LATEST = 'projects/proj/secrets/db/versions/latest';

beforeAll(async () => {
  [fake, pair] = await Promise.all([startFakeSecretManager(), startTestPair()]);
  fake.addVersion('proj', 'db', APP.password);
  fake.addVersion('proj', 'basic-user', 'tester');
  fake.addVersion('proj', 'basic-password', 'basic-v1');
  service = await startTestService({
    ...pair.env,
    POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/db',
    BASIC_AUTH_USERNAME: 'gcp:secretmanager:projects/proj/secrets/basic-user',
    BASIC_AUTH_PASSWORD: 'projects/proj/secrets/basic-password/versions/latest',
    SECRET_MANAGER_EMULATOR_HOST: fake.address,
    BASIC_AUTH_REFRESH_S: String(REFRESH_S),
  });
});
afterAll(async () => {
  await service?.close();
  await Promise.all([fake?.close(), pair?.stop()]);
});

/** Concurrent readers of both hosts until stopped; returns every status seen. */
function load(password: () => string) {
  const statuses: number[] = [];
  let running = true;
  const worker = async () => {
    for (let i = 0; running && i < 5000; i++) {
      const api = httpClient(service.url, {
        BASIC_AUTH_USERNAME: 'tester',
        BASIC_AUTH_PASSWORD: password(),
      });
      for (const path of ['/country/US', '/country_replica/FR']) {
        statuses.push((await api.request('GET', path)).status);
      }
    }
  };
  const workers = Promise.all(Array.from({ length: 4 }, worker));
  return {
    statuses,
    /** Resolves once `count` more answers have come in. */
    async answered(count: number) {
      const target = statuses.length + count;
      await expect.poll(() => statuses.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(target);
    },
    async stop() {
      running = false;
      await workers;
      return statuses;
    },
  };
}

const serviceBackends = (sql: postgres.Sql) => sql`
  select pid from pg_stat_activity
  where usename = ${APP.role} and application_name like 'pg-replica-functions:%'`;
const terminateServiceBackends = (sql: postgres.Sql) => sql`
  select pg_terminate_backend(pid) from pg_stat_activity
  where usename = ${APP.role} and application_name like 'pg-replica-functions:%'`;

it('rotates the database password: Secret Manager first, then Postgres; no request fails', async () => {
  const primary = pair.superuser('primary');
  const replica = pair.superuser('replica');
  const traffic = load(() => 'basic-v1');
  await traffic.answered(20);
  const readsBefore = fake.calls(DB_LATEST);

  fake.addVersion('proj', 'db', 'rotated-db-password');
  await primary`alter role app password 'rotated-db-password'`;
  await waitForReplay(pair);
  // Force new connections on both hosts: they must authenticate with the new password.
  const terminated = new Set([
    ...(await serviceBackends(primary)).map((row) => row.pid as number),
    ...(await serviceBackends(replica)).map((row) => row.pid as number),
  ]);
  await terminateServiceBackends(primary);
  await terminateServiceBackends(replica);
  // Both hosts get new connections, and the traffic goes on over them.
  for (const host of [primary, replica]) {
    await expect
      .poll(async () => (await serviceBackends(host)).filter((row) => !terminated.has(row.pid)))
      .not.toHaveLength(0);
  }
  await traffic.answered(40);

  const statuses = await traffic.stop();
  expect(statuses.filter((status) => status !== 200)).toEqual([]);
  // The service read the new password from Secret Manager when Postgres rejected the old one…
  expect(fake.calls(DB_LATEST)).toBeGreaterThan(readsBefore);

  // …and uses it for every connection from then on: new connections on both
  // hosts succeed without another rejection, so without another read.
  const readsAfter = fake.calls(DB_LATEST);
  await terminateServiceBackends(primary);
  await terminateServiceBackends(replica);
  const api = httpClient(service.url, {
    BASIC_AUTH_USERNAME: 'tester',
    BASIC_AUTH_PASSWORD: 'basic-v1',
  });
  expect((await api.request('GET', '/country/US')).status).toBe(200);
  expect((await api.request('GET', '/country_replica/FR')).status).toBe(200);
  expect(fake.calls(DB_LATEST)).toBe(readsAfter);
});

const probe = (url: string, password: string) =>
  httpClient(url, { BASIC_AUTH_USERNAME: 'tester', BASIC_AUTH_PASSWORD: password })
    .request('GET', '/country/US')
    .then((answer) => answer.status);

it('rotates the Basic password: both versions pass during the window, the old one fails once disabled', async () => {
  let clientPassword = 'basic-v1';
  const traffic = load(() => clientPassword);
  fake.addVersion('proj', 'basic-password', 'basic-v2');
  await expect.poll(() => probe(service.url, 'basic-v2'), { timeout: 5000 }).toBe(200);
  clientPassword = 'basic-v2';
  await traffic.answered(20);
  const statuses = await traffic.stop();
  expect(statuses.filter((status) => status !== 200)).toEqual([]);

  fake.disableVersion('proj', 'basic-password', 1);
  await expect.poll(() => probe(service.url, 'basic-v1'), { timeout: 5000 }).toBe(401);
  expect(await probe(service.url, 'basic-v2')).toBe(200);
});

it('never accepts a Basic password rotated out twice while N−1 cannot be read, and takes a new latest within the refresh interval + 1 s', async () => {
  fake.addVersion('proj', 'twice', 'twice-v1');
  const own = await startTestService({
    ...pair.env,
    POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/db',
    BASIC_AUTH_USERNAME: 'tester',
    BASIC_AUTH_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/twice',
    SECRET_MANAGER_EMULATOR_HOST: fake.address,
    BASIC_AUTH_REFRESH_S: String(REFRESH_S),
  });
  const budgetMs = REFRESH_S * 1000 + 1000;
  async function msUntilAccepted(password: string): Promise<number> {
    const started = performance.now();
    await expect.poll(() => probe(own.url, password), { timeout: 10_000, interval: 20 }).toBe(200);
    return performance.now() - started;
  }
  try {
    fake.addVersion('proj', 'twice', 'twice-v2');
    expect(await msUntilAccepted('twice-v2')).toBeLessThan(budgetMs);
    expect(await probe(own.url, 'twice-v1')).toBe(200); // N−1

    // v2 becomes N−1, and reading it fails from now on.
    const v2 = 'projects/proj/secrets/twice/versions/2';
    fake.makeUnavailable('proj', 'twice', 2);
    fake.addVersion('proj', 'twice', 'twice-v3');
    expect(await msUntilAccepted('twice-v3')).toBeLessThan(budgetMs);
    expect(await probe(own.url, 'twice-v1')).toBe(401); // rotated out twice
    expect(await probe(own.url, 'twice-v2')).toBe(200); // known to be N−1: the former latest
    // Still so after further refreshes that fail to read v2.
    const failedReads = fake.calls(v2);
    await expect.poll(() => fake.calls(v2), { timeout: 10_000 }).toBeGreaterThan(failedReads + 2);
    expect(await probe(own.url, 'twice-v1')).toBe(401);
    expect(await probe(own.url, 'twice-v3')).toBe(200);
  } finally {
    await own.close();
  }
}, 40_000);

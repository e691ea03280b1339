import postgres from 'postgres';
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
    BASIC_AUTH_REFRESH_S: '1',
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
    async stop() {
      running = false;
      await workers;
      return statuses;
    },
  };
}

const appBackends = (sql: postgres.Sql) => sql`
  select pg_terminate_backend(pid) from pg_stat_activity
  where usename = ${APP.role} and application_name like 'pg-replica-functions:%'`;

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('rotates the database password: Secret Manager first, then Postgres; no request fails', async () => {
  const primary = pair.superuser('primary');
  const replica = pair.superuser('replica');
  const traffic = load(() => 'basic-v1');
  await new Promise((resolve) => setTimeout(resolve, 300));

  fake.addVersion('proj', 'db', 'rotated-db-password');
  await primary`alter role app password 'rotated-db-password'`;
  await waitForReplay(pair);
  // Force new connections on both hosts: they must authenticate with the new password.
  await appBackends(primary);
  await appBackends(replica);
  await new Promise((resolve) => setTimeout(resolve, 500));

  const statuses = await traffic.stop();
  expect(statuses.length).toBeGreaterThan(20);
  expect(statuses.filter((status) => status !== 200)).toEqual([]);

  const [connected] = await primary`
    select count(*)::int as count from pg_stat_activity
    where usename = ${APP.role} and application_name like 'pg-replica-functions:%'`;
  expect(connected?.count).toBeGreaterThan(0);
  const old = postgres({
    host: '127.0.0.1',
    port: pair.pair.primary.port,
    user: APP.role,
    pass: APP.password,
    database: APP.database,
    max: 1,
    onnotice: () => {},
  });
  await expect(old`select 1`).rejects.toMatchObject({ code: '28P01' });
  await old.end();
});

it('rotates the Basic password: both versions pass during the window, the old one fails once disabled', async () => {
  let clientPassword = 'basic-v1';
  const traffic = load(() => clientPassword);
  fake.addVersion('proj', 'basic-password', 'basic-v2');
  const probe = (password: string) =>
    httpClient(service.url, {
      BASIC_AUTH_USERNAME: 'tester',
      BASIC_AUTH_PASSWORD: password,
    }).request('GET', '/country/US');
  await waitUntil(async () => (await probe('basic-v2')).status === 200, 5000);
  clientPassword = 'basic-v2';
  await new Promise((resolve) => setTimeout(resolve, 300));
  const statuses = await traffic.stop();
  expect(statuses.filter((status) => status !== 200)).toEqual([]);

  fake.disableVersion('proj', 'basic-password', 1);
  await waitUntil(async () => (await probe('basic-v1')).status === 401, 5000);
  expect((await probe('basic-v2')).status).toBe(200);
});

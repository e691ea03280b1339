import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { runMigrations } from '../db/migrate.js';
import { startFakeSecretManager } from '../dev/fakeSecretManager.js';
import journal from '../drizzle/meta/_journal.json' with { type: 'json' };
import { spawnEntry } from './support/process.js';
import { APP, startTestPair, type TestPair } from './support/testPair.js';

let pair: TestPair;
beforeAll(async () => {
  pair = await startTestPair({ migrate: false });
});
afterAll(async () => {
  await pair?.stop();
});

const migrate = () => runMigrations(parseConfig(pair.env, 'migrate').database, APP.password);

it('migrates as a non-superuser owner, safely when two runs race, and seeds 249 countries once', async () => {
  const sql = pair.superuser('primary');
  const [role] = await sql`select rolsuper from pg_roles where rolname = ${APP.role}`;
  expect(role?.rolsuper).toBe(false);

  await Promise.all([migrate(), migrate(), migrate()]);
  const [seeded] = await sql`select count(*)::int as count from country`;
  expect(seeded?.count).toBe(249);
  const applied = await sql`select hash from drizzle.__drizzle_migrations`;
  expect(applied).toHaveLength(journal.entries.length);

  await migrate();
  expect((await sql`select hash from drizzle.__drizzle_migrations`).length).toBe(
    journal.entries.length,
  );
  const [us] = await sql`select name, country_id from country where two_letter = 'US'`;
  expect(us).toEqual({ name: 'United States of America', country_id: 840 });
});

it('runs as `npm run db:migrate` does, with the password from Secret Manager, and exits 0', async () => {
  const fake = await startFakeSecretManager();
  try {
    fake.addVersion('proj', 'db', APP.password);
    const job = spawnEntry('server/migrateMain.ts', {
      ...pair.env,
      POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/db',
      POSTGRES_REPLICATION_HOST: undefined,
      BASIC_AUTH_USERNAME: undefined,
      BASIC_AUTH_PASSWORD: undefined,
      SECRET_MANAGER_EMULATOR_HOST: fake.address,
    });
    expect(await job.exited).toBe(0);
    expect(job.output()).toContain('migrations applied');
    expect(job.output()).not.toContain(APP.password);
  } finally {
    await fake.close();
  }
  const failing = spawnEntry('server/migrateMain.ts', {});
  expect(await failing.exited).toBe(1);
  expect(failing.output()).toContain('POSTGRES_MAIN_HOST');
});

it('says which server does not accept TLS, and which option to change, under the default sslmode', async () => {
  const job = spawnEntry('server/migrateMain.ts', { ...pair.env, POSTGRES_SSLMODE: undefined });
  expect(await job.exited).toBe(1);
  expect(job.output()).toContain(
    `the server at 127.0.0.1:${pair.pair.primary.port} does not accept TLS: set POSTGRES_SSLMODE=disable`,
  );
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMigrations } from '../db/migrate.js';
import { APP, startTestPair, type TestPair } from './support/testPair.js';

let pair: TestPair;
beforeAll(async () => {
  pair = await startTestPair({ migrate: false });
});
afterAll(async () => {
  await pair?.stop();
});

const asApp = () => ({
  host: '127.0.0.1',
  port: pair.pair.primary.port,
  user: APP.role,
  database: APP.database,
  password: APP.password,
  sslMode: 'disable' as const,
  connectTimeoutMs: 5000,
});

it('migrates as a non-superuser owner, safely when two runs race, and seeds 249 countries once', async () => {
  const sql = pair.superuser('primary');
  const [role] = await sql`select rolsuper from pg_roles where rolname = ${APP.role}`;
  expect(role?.rolsuper).toBe(false);

  await Promise.all([runMigrations(asApp()), runMigrations(asApp()), runMigrations(asApp())]);
  const [seeded] = await sql`select count(*)::int as count from country`;
  expect(seeded?.count).toBe(249);
  const applied = await sql`select hash from drizzle.__drizzle_migrations`;
  expect(applied).toHaveLength(2);

  await runMigrations(asApp());
  expect((await sql`select hash from drizzle.__drizzle_migrations`).length).toBe(2);
  const [us] = await sql`select name, country_id from country where two_letter = 'US'`;
  expect(us).toEqual({ name: 'United States of America', country_id: 840 });
});

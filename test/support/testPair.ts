import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { parseConfig } from '../../config/config.js';
import { runMigrations } from '../../db/migrate.js';
import { ensureAppDatabase } from '../../dev/appDatabase.js';
import { ensureDir } from '../../dev/clusterFiles.js';
import { freePort } from '../../dev/freePort.js';
import { postgresAccount } from '../../dev/osUser.js';
import { findPgBinaries } from '../../dev/pgBinaries.js';
import { type ReplicatedCluster, startReplicatedCluster } from '../../dev/replicatedCluster.js';
import { waitForReplay as replayed } from '../../dev/waitForReplay.js';
import { cachedTemplate } from './template.js';

export const APP = { role: 'app', password: 'app-test-password', database: 'countries' };

export interface TestPair {
  pair: ReplicatedCluster;
  superuserPassword: string;
  /** Environment that points the service at this pair, as the app role. */
  env: Record<string, string>;
  /** A superuser connection to the app database of the primary, the first standby, or a standby by index. */
  superuser(role: 'primary' | 'replica' | number, database?: string): postgres.Sql;
  /** `127.0.0.1:port` of each standby, as POSTGRES_REPLICA_ENDPOINTS lists them. */
  endpoints: string[];
  stop(): Promise<void>;
}

/** A real primary + streaming hot standbys (one unless told) on free ports, migrated and seeded. */
export async function startTestPair(
  options: { migrate?: boolean; standbys?: number } = {},
): Promise<TestPair> {
  const runAs = postgresAccount();
  const binaries = await findPgBinaries(runAs);
  const template = await cachedTemplate(binaries, runAs);
  const baseDir = await mkdtemp(join(tmpdir(), 'pg-pair-'));
  await ensureDir(baseDir, undefined, 0o755);
  const primaryPort = await freePort();
  const standbyPorts: number[] = [];
  for (let i = 0; i < (options.standbys ?? 1); i++) standbyPorts.push(await freePort());
  const pair = await startReplicatedCluster({
    baseDir: join(baseDir, 'pg'),
    primaryPort,
    standbyPorts,
    superuserPassword: template.superuserPassword,
    binaries,
    runAs,
    template: template.dataDir,
    settings: { fsync: 'off', full_page_writes: 'off' },
  });
  await ensureAppDatabase(primaryPort, template.superuserPassword, APP);
  if (options.migrate !== false) {
    await runMigrations(
      parseConfig(
        {
          POSTGRES_MAIN_HOST: '127.0.0.1',
          POSTGRES_MAIN_PORT: String(primaryPort),
          POSTGRES_USER: APP.role,
          POSTGRES_DB: APP.database,
          POSTGRES_MAIN_PASSWORD: APP.password,
          POSTGRES_SSLMODE: 'disable',
        },
        'migrate',
      ).database,
      APP.password,
    );
  }
  const connections: postgres.Sql[] = [];
  const endpoints = standbyPorts.map((port) => `127.0.0.1:${port}`);
  const testPair: TestPair = {
    pair,
    superuserPassword: template.superuserPassword,
    env: {
      POSTGRES_MAIN_HOST: '127.0.0.1',
      POSTGRES_MAIN_PORT: String(pair.primary.port),
      POSTGRES_REPLICATION_HOST: '127.0.0.1',
      POSTGRES_REPLICATION_PORT: String(pair.replica.port),
      POSTGRES_REPLICA_ENDPOINTS: endpoints.join(','),
      EXPECTED_STANDBYS: String(standbyPorts.length),
      POSTGRES_USER: APP.role,
      POSTGRES_DB: APP.database,
      POSTGRES_MAIN_PASSWORD: APP.password,
      POSTGRES_SSLMODE: 'disable',
      BASIC_AUTH_USERNAME: 'tester',
      BASIC_AUTH_PASSWORD: 'correct horse battery staple',
    },
    endpoints,
    superuser(role, database = APP.database) {
      const index = role === 'replica' ? 0 : role;
      const sql = postgres({
        host: '127.0.0.1',
        port: index === 'primary' ? pair.primary.port : standbyPorts[index],
        user: 'postgres',
        pass: template.superuserPassword,
        database,
        max: 2,
        fetch_types: false,
        onnotice: () => {},
      });
      connections.push(sql);
      return sql;
    },
    async stop() {
      await Promise.all(connections.map((sql) => sql.end({ timeout: 1 })));
      await pair.stop();
      await rm(baseDir, { recursive: true, force: true });
    },
  };
  await waitForReplay(testPair);
  return testPair;
}

/** Resolves once every standby has replayed everything the primary had written when called. */
export async function waitForReplay(testPair: TestPair, timeoutMs = 10_000): Promise<void> {
  await Promise.all(
    testPair.pair.standbys.map((standby) =>
      replayed(
        { primary: testPair.pair.primary.port, replica: standby.port },
        testPair.superuserPassword,
        timeoutMs,
      ),
    ),
  );
}

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMigrations } from '../db/migrate.js';
import { accountDirFor, ensureAccountDir } from './accountDir.js';
import { ensureAppDatabase } from './appDatabase.js';
import { ensureDir } from './clusterFiles.js';
import { freePort } from './freePort.js';
import { postgresAccount, type RunAs } from './osUser.js';
import { findPgBinaries } from './pgBinaries.js';
import { type ReplicatedPair, startReplicatedPair } from './replicatedPair.js';
import { waitForReplay } from './waitForReplay.js';

/** Git-ignored; kept between runs; `npm run local:reset` removes it. LOCAL_CLUSTER_DIR moves it (tests). */
export const LOCAL_DIR =
  process.env.LOCAL_CLUSTER_DIR ?? fileURLToPath(new URL('../.local-cluster', import.meta.url));

/**
 * Where the servers' data lives: beside the state file, or, as root, in a
 * folder the PostgreSQL account owns outside the project (accountDir.ts).
 */
export function localDataDir(runAs: RunAs, localDir = LOCAL_DIR): string {
  return runAs ? join(accountDirFor('cluster', localDir), 'pg') : join(localDir, 'pg');
}

interface LocalState {
  primaryPort: number;
  replicaPort: number;
  superuserPassword: string;
  app: { role: string; password: string; database: string };
  basicAuth: { username: string; password: string };
}

const secret = () => randomBytes(18).toString('base64url');

async function loadOrCreateState(): Promise<LocalState> {
  const file = join(LOCAL_DIR, 'state.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as LocalState;
  const primaryPort = await freePort(55432);
  const state: LocalState = {
    primaryPort,
    replicaPort: await freePort(primaryPort + 1),
    superuserPassword: secret(),
    app: { role: 'app', password: secret(), database: 'countries' },
    basicAuth: { username: 'admin', password: secret() },
  };
  await writeFile(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

export interface LocalDefault {
  pair: ReplicatedPair;
  /** The environment that points the service at the local pair. */
  env: Record<string, string>;
  /** Generated Basic credentials, or undefined when BASIC_AUTH_* were given. */
  generatedCredentials: { username: string; password: string } | undefined;
  stateFile: string;
}

/** Starts (creating on first run) the local primary + streaming replica and migrates it. */
export async function startLocalDefault(env = process.env): Promise<LocalDefault> {
  const runAs = postgresAccount();
  // Only this process reads it (the PostgreSQL account never needs to); an
  // existing folder keeps its mode.
  if (!existsSync(LOCAL_DIR)) await ensureDir(LOCAL_DIR, undefined, 0o700);
  const state = await loadOrCreateState();
  const dataDir = localDataDir(runAs);
  if (runAs) await ensureAccountDir(dirname(dataDir), runAs);
  const pair = await startReplicatedPair({
    baseDir: dataDir,
    primaryPort: state.primaryPort,
    replicaPort: state.replicaPort,
    superuserPassword: state.superuserPassword,
    binaries: await findPgBinaries(runAs, env),
    runAs,
  });
  try {
    await ensureAppDatabase(state.primaryPort, state.superuserPassword, state.app);
    await runMigrations({
      host: '127.0.0.1',
      port: state.primaryPort,
      user: state.app.role,
      database: state.app.database,
      password: state.app.password,
      sslMode: 'disable',
      connectTimeoutMs: 5000,
    });
    // Serve replica reads only once the replica has the database and schema.
    await waitForReplay(
      { primary: state.primaryPort, replica: state.replicaPort },
      state.superuserPassword,
    );
  } catch (error) {
    await pair.stop();
    throw error;
  }
  const username = env.BASIC_AUTH_USERNAME || state.basicAuth.username;
  const password = env.BASIC_AUTH_PASSWORD || state.basicAuth.password;
  return {
    pair,
    env: {
      POSTGRES_MAIN_HOST: '127.0.0.1',
      POSTGRES_MAIN_PORT: String(state.primaryPort),
      POSTGRES_REPLICATION_HOST: '127.0.0.1',
      POSTGRES_REPLICATION_PORT: String(state.replicaPort),
      POSTGRES_USER: state.app.role,
      POSTGRES_DB: state.app.database,
      POSTGRES_MAIN_PASSWORD: state.app.password,
      POSTGRES_SSLMODE: env.POSTGRES_SSLMODE ?? 'disable',
      BASIC_AUTH_USERNAME: username,
      BASIC_AUTH_PASSWORD: password,
    },
    // Printed only when both are generated: a password from the environment never is.
    generatedCredentials:
      env.BASIC_AUTH_USERNAME || env.BASIC_AUTH_PASSWORD ? undefined : state.basicAuth,
    stateFile: join(LOCAL_DIR, 'state.json'),
  };
}

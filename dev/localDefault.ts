import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, readOption } from '../config/config.js';
import { runMigrations } from '../db/migrate.js';
import { accountDirFor, ensureAccountDir } from './accountDir.js';
import { ensureAppDatabase } from './appDatabase.js';
import { ensureDir } from './clusterFiles.js';
import { freePort } from './freePort.js';
import { postgresAccount, type RunAs } from './osUser.js';
import { findPgBinaries } from './pgBinaries.js';
import { type ReplicatedCluster, startReplicatedCluster } from './replicatedCluster.js';
import { waitForReplay } from './waitForReplay.js';

/** Git-ignored; kept between runs; `npm run local:reset` removes it. LOCAL_CLUSTER_DIR moves it (tests). */
export const LOCAL_DIR =
  readOption(process.env, 'LOCAL_CLUSTER_DIR') ??
  fileURLToPath(new URL('../.local-cluster', import.meta.url));

/**
 * Where the servers' data lives: beside the state file, or, as root, in a
 * folder the PostgreSQL account owns outside the project (accountDir.ts).
 */
export function localDataDir(runAs: RunAs, localDir = LOCAL_DIR): string {
  return runAs ? join(accountDirFor('cluster', localDir), 'pg') : join(localDir, 'pg');
}

interface LocalState {
  primaryPort: number;
  /** One per standby; grows when LOCAL_STANDBYS does. */
  standbyPorts: number[];
  superuserPassword: string;
  app: { role: string; password: string; database: string };
  basicAuth: { username: string; password: string };
}

const secret = () => randomBytes(18).toString('base64url');

async function loadOrCreateState(standbys: number): Promise<LocalState> {
  const file = join(LOCAL_DIR, 'state.json');
  const saved = existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as LocalState & { replicaPort?: number })
    : undefined;
  const primaryPort = saved?.primaryPort ?? (await freePort(55432));
  const state: LocalState = {
    primaryPort,
    // A state file from before standbys were counted has one replicaPort.
    standbyPorts: saved?.standbyPorts ?? (saved?.replicaPort ? [saved.replicaPort] : []),
    superuserPassword: saved?.superuserPassword ?? secret(),
    app: saved?.app ?? { role: 'app', password: secret(), database: 'countries' },
    basicAuth: saved?.basicAuth ?? { username: 'admin', password: secret() },
  };
  while (state.standbyPorts.length < standbys) {
    const after = Math.max(primaryPort, ...state.standbyPorts);
    state.standbyPorts.push(await freePort(after + 1));
  }
  if (JSON.stringify(saved) !== JSON.stringify(state)) {
    await writeFile(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  }
  return { ...state, standbyPorts: state.standbyPorts.slice(0, standbys) };
}

export interface LocalDefault {
  cluster: ReplicatedCluster;
  /** The environment that points the service at the local cluster. */
  env: Record<string, string>;
  /** Generated Basic credentials, or undefined when BASIC_AUTH_* were given. */
  generatedCredentials: { username: string; password: string } | undefined;
}

/**
 * Starts (creating on first run) the local primary and its streaming
 * standbys (LOCAL_STANDBYS, default 2), and migrates it. Reads go to the
 * first standby; every standby is verified on its own.
 */
export async function startLocalDefault(env = process.env): Promise<LocalDefault> {
  const standbys = readOption(env, 'LOCAL_STANDBYS');
  const runAs = postgresAccount();
  // Only this process reads it (the PostgreSQL account never needs to); an
  // existing folder keeps its mode.
  if (!existsSync(LOCAL_DIR)) await ensureDir(LOCAL_DIR, undefined, 0o700);
  const state = await loadOrCreateState(standbys);
  const serviceEnv = localEnv(state, env);
  const dataDir = localDataDir(runAs);
  if (runAs) await ensureAccountDir(dirname(dataDir), runAs);
  const cluster = await startReplicatedCluster({
    baseDir: dataDir,
    primaryPort: state.primaryPort,
    standbyPorts: state.standbyPorts,
    superuserPassword: state.superuserPassword,
    binaries: await findPgBinaries(runAs, env),
    runAs,
  });
  try {
    await ensureAppDatabase(state.primaryPort, state.superuserPassword, state.app);
    const { database } = parseConfig(serviceEnv, 'migrate');
    await runMigrations(database, state.app.password);
    // Serve replica reads only once every standby has the database and schema.
    for (const port of state.standbyPorts) {
      await waitForReplay({ primary: state.primaryPort, replica: port }, state.superuserPassword);
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return {
    cluster,
    env: serviceEnv,
    // Printed only when both are generated: a password from the environment never is.
    generatedCredentials:
      env.BASIC_AUTH_USERNAME || env.BASIC_AUTH_PASSWORD ? undefined : state.basicAuth,
  };
}

/** The environment that points the service at the local cluster. */
function localEnv(state: LocalState, env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    POSTGRES_MAIN_HOST: '127.0.0.1',
    POSTGRES_MAIN_PORT: String(state.primaryPort),
    POSTGRES_REPLICATION_HOST: '127.0.0.1',
    POSTGRES_REPLICATION_PORT: String(state.standbyPorts[0]),
    POSTGRES_REPLICA_ENDPOINTS: state.standbyPorts.map((port) => `127.0.0.1:${port}`).join(','),
    EXPECTED_STANDBYS: env.EXPECTED_STANDBYS ?? String(state.standbyPorts.length),
    POSTGRES_USER: state.app.role,
    POSTGRES_DB: state.app.database,
    POSTGRES_MAIN_PASSWORD: state.app.password,
    POSTGRES_SSLMODE: env.POSTGRES_SSLMODE ?? 'disable',
    BASIC_AUTH_USERNAME: env.BASIC_AUTH_USERNAME || state.basicAuth.username,
    BASIC_AUTH_PASSWORD: env.BASIC_AUTH_PASSWORD || state.basicAuth.password,
  };
}

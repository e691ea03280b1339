import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyCluster, ensureDir, initCluster, makeStandby } from './clusterFiles.js';
import type { RunAs } from './osUser.js';
import type { PgBinaries } from './pgBinaries.js';
import { type PostgresServer, startPostgres, stopStalePostmaster } from './postgresServer.js';

export interface PairOptions {
  /** Holds primary/, replica/, sockets and logs; owned by the PostgreSQL account. */
  baseDir: string;
  primaryPort: number;
  replicaPort: number;
  superuserPassword: string;
  binaries: PgBinaries;
  runAs: RunAs;
  /** A stopped, initdb'd cluster made with the same password, copied instead of running initdb. */
  template?: string;
  /** Extra `-c` settings for both servers (tests turn fsync off). */
  settings?: Record<string, string>;
}

export interface ReplicatedPair {
  primary: PostgresServer;
  replica: PostgresServer;
  options: PairOptions;
  /** Starts one server again after it was stopped (fault tests). */
  restart(role: 'primary' | 'replica'): Promise<void>;
  stop(): Promise<void>;
}

export const pairPaths = (baseDir: string) => ({
  primary: join(baseDir, 'primary'),
  replica: join(baseDir, 'replica'),
  sockets: join(baseDir, 'sockets'),
  logs: join(baseDir, 'logs'),
});

/** Creates the two data directories once: the replica is a cold copy of the stopped primary. */
async function createPairFiles(options: PairOptions): Promise<void> {
  const paths = pairPaths(options.baseDir);
  if (existsSync(paths.primary)) return;
  const staging = `${paths.primary}.new`;
  if (options.template) await copyCluster(options.template, staging, options.runAs);
  else await initCluster(options.binaries, staging, options.superuserPassword, options.runAs);
  await copyCluster(staging, paths.replica, options.runAs);
  await makeStandby(
    paths.replica,
    {
      primaryPort: options.primaryPort,
      password: options.superuserPassword,
      applicationName: 'replica1',
    },
    options.runAs,
  );
  await copyCluster(staging, paths.primary, options.runAs);
  await rm(staging, { recursive: true, force: true });
}

function startServer(options: PairOptions, role: 'primary' | 'replica'): Promise<PostgresServer> {
  const paths = pairPaths(options.baseDir);
  return startPostgres(options.binaries, {
    dataDir: paths[role],
    socketDir: paths.sockets,
    port: role === 'primary' ? options.primaryPort : options.replicaPort,
    logFile: join(paths.logs, `${role}.log`),
    runAs: options.runAs,
    settings: { cluster_name: role, ...options.settings },
  });
}

/** Starts a real primary and a real streaming hot standby on 127.0.0.1. */
export async function startReplicatedPair(options: PairOptions): Promise<ReplicatedPair> {
  const paths = pairPaths(options.baseDir);
  await ensureDir(options.baseDir, options.runAs);
  await ensureDir(paths.sockets, options.runAs);
  await ensureDir(paths.logs, options.runAs);
  await stopStalePostmaster(paths.replica);
  await stopStalePostmaster(paths.primary);
  await createPairFiles(options);
  const primary = await startServer(options, 'primary');
  let replica: PostgresServer;
  try {
    replica = await startServer(options, 'replica');
  } catch (error) {
    await primary.stop();
    throw error;
  }
  const pair: ReplicatedPair = {
    primary,
    replica,
    options,
    async restart(role) {
      await pair[role].stop();
      pair[role] = await startServer(options, role);
    },
    async stop() {
      await Promise.all([pair.replica.stop(), pair.primary.stop()]);
    },
  };
  return pair;
}

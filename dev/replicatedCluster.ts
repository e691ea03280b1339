import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyCluster, ensureDir, initCluster, makeStandby } from './clusterFiles.js';
import type { RunAs } from './osUser.js';
import type { PgBinaries } from './pgBinaries.js';
import { type PostgresServer, startPostgres, stopStalePostmaster } from './postgresServer.js';

export interface ClusterOptions {
  /** Holds primary/, replica1/…, sockets and logs; owned by the PostgreSQL account. */
  baseDir: string;
  primaryPort: number;
  /** One port per streaming standby. */
  standbyPorts: number[];
  superuserPassword: string;
  binaries: PgBinaries;
  runAs: RunAs;
  /** A stopped, initdb'd cluster made with the same password, copied instead of running initdb. */
  template?: string;
  /** Extra `-c` settings for every server (tests turn fsync off). */
  settings?: Record<string, string>;
}

/** `primary`, or a standby by its 0-based index. */
export type ServerName = 'primary' | number;

export interface ReplicatedCluster {
  primary: PostgresServer;
  standbys: PostgresServer[];
  /** The first standby: where replica reads go. */
  readonly replica: PostgresServer;
  options: ClusterOptions;
  /** Starts one server again after it was stopped (fault tests). */
  restart(name: ServerName | 'replica'): Promise<void>;
  stop(): Promise<void>;
}

export const clusterPaths = (baseDir: string) => ({
  primary: join(baseDir, 'primary'),
  standby: (index: number) => join(baseDir, `replica${index + 1}`),
  sockets: join(baseDir, 'sockets'),
  logs: join(baseDir, 'logs'),
});

/** The application_name each standby streams as (pg_stat_replication). */
export const standbyName = (index: number) => `standby${index + 1}`;

/**
 * Creates what is missing: the primary once, and each standby as a cold copy
 * of the stopped primary (same system_identifier and timeline, no
 * pg_basebackup needed), so more standbys can be added to an existing cluster.
 */
async function createClusterFiles(options: ClusterOptions): Promise<void> {
  const paths = clusterPaths(options.baseDir);
  if (!existsSync(paths.primary)) {
    const staging = `${paths.primary}.new`;
    await rm(staging, { recursive: true, force: true });
    if (options.template) await copyCluster(options.template, staging, options.runAs);
    else await initCluster(options.binaries, staging, options.superuserPassword, options.runAs);
    await copyCluster(staging, paths.primary, options.runAs);
    await rm(staging, { recursive: true, force: true });
  }
  for (const [index] of options.standbyPorts.entries()) {
    const dir = paths.standby(index);
    if (existsSync(dir)) continue;
    await copyCluster(paths.primary, `${dir}.new`, options.runAs);
    await rm(join(`${dir}.new`, 'postmaster.pid'), { force: true });
    await makeStandby(
      `${dir}.new`,
      {
        primaryPort: options.primaryPort,
        password: options.superuserPassword,
        applicationName: standbyName(index),
      },
      options.runAs,
    );
    await copyCluster(`${dir}.new`, dir, options.runAs);
    await rm(`${dir}.new`, { recursive: true, force: true });
  }
}

function startServer(options: ClusterOptions, name: ServerName): Promise<PostgresServer> {
  const paths = clusterPaths(options.baseDir);
  const role = name === 'primary' ? 'primary' : standbyName(name);
  return startPostgres(options.binaries, {
    dataDir: name === 'primary' ? paths.primary : paths.standby(name),
    socketDir: join(paths.sockets, role),
    port: name === 'primary' ? options.primaryPort : (options.standbyPorts[name] ?? 0),
    logFile: join(paths.logs, `${role}.log`),
    runAs: options.runAs,
    settings: { cluster_name: role, ...options.settings },
  });
}

/** Starts a real primary and real streaming hot standbys on 127.0.0.1. */
export async function startReplicatedCluster(options: ClusterOptions): Promise<ReplicatedCluster> {
  const paths = clusterPaths(options.baseDir);
  await ensureDir(options.baseDir, options.runAs);
  await ensureDir(paths.sockets, options.runAs);
  await ensureDir(paths.logs, options.runAs);
  for (const [index] of options.standbyPorts.entries()) {
    await ensureDir(join(paths.sockets, standbyName(index)), options.runAs);
    await stopStalePostmaster(paths.standby(index));
  }
  await ensureDir(join(paths.sockets, 'primary'), options.runAs);
  await stopStalePostmaster(paths.primary);
  await createClusterFiles(options);
  const primary = await startServer(options, 'primary');
  const standbys: PostgresServer[] = [];
  try {
    for (const [index] of options.standbyPorts.entries()) {
      standbys.push(await startServer(options, index));
    }
  } catch (error) {
    await Promise.all([...standbys, primary].map((server) => server.stop()));
    throw error;
  }
  const cluster: ReplicatedCluster = {
    primary,
    standbys,
    get replica() {
      return cluster.standbys[0] as PostgresServer;
    },
    options,
    async restart(name) {
      const target = name === 'replica' ? 0 : name;
      if (target === 'primary') {
        await cluster.primary.stop();
        cluster.primary = await startServer(options, 'primary');
      } else {
        await cluster.standbys[target]?.stop();
        cluster.standbys[target] = await startServer(options, target);
      }
    },
    async stop() {
      await Promise.all(cluster.standbys.map((standby) => standby.stop()));
      await cluster.primary.stop();
    },
  };
  return cluster;
}

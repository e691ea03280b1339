import { execFile } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openFileNoFollow } from './accountDir.js';
import {
  ensureReplicationRole,
  REPLICATION_ROLE,
  replicationPassword,
  superuserConnection,
} from './appDatabase.js';
import { copyCluster, ensureDir, initCluster } from './clusterFiles.js';
import { asAccount, type RunAs } from './osUser.js';
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
 * The physical replication slot each standby streams through, on the primary
 * (CloudNativePG names them `_cnpg_<instance>`). Only slots of this shape are
 * ever dropped by the local cluster.
 */
export const slotName = (index: number) => `_local_${standbyName(index)}`;
const OWN_SLOT = /^_local_standby\d+$/;

const run = promisify(execFile);

/**
 * Removes a file or tree in a folder the account owns, as the account: root
 * never walks it (a link swapped in mid-walk could send root's deletion
 * elsewhere), and the account can delete nothing it could not delete anyway.
 */
export async function removeAsAccount(path: string, runAs: RunAs): Promise<void> {
  await run('rm', ['-rf', '--', resolve(path)], { ...asAccount(runAs), cwd: '/' });
}

/** Empties a folder the account owns, as the account (see removeAsAccount). */
async function emptyAsAccount(path: string, runAs: RunAs): Promise<void> {
  await run('find', [resolve(path), '-mindepth', '1', '-delete'], {
    ...asAccount(runAs),
    cwd: '/',
  });
}

/**
 * Rewrites (creating it if missing) a file of a stopped server's data
 * folder: as root, opened without following a link and left the account's.
 */
async function editDataFile(
  path: string,
  edit: (text: string) => string,
  runAs: RunAs,
): Promise<void> {
  const flags = constants.O_RDWR | constants.O_CREAT;
  const file = runAs ? await openFileNoFollow(path, flags, 0o600) : await open(path, flags, 0o600);
  try {
    const text = edit(await file.readFile('utf8'));
    await file.truncate(0);
    await file.write(text, 0, 'utf8');
    if (runAs) await file.chown(runAs.uid, runAs.gid);
  } finally {
    await file.close();
  }
}

const HBA_NOTE =
  '# Replication: only the replication role, only from 127.0.0.1 (replicatedCluster.ts).';

/**
 * pg_hba.conf with every replication line replaced by one: the replication
 * role, from 127.0.0.1, with its password. The superuser cannot replicate.
 */
function replicationOnlyByRole(hba: string): string {
  const kept = hba.split('\n').filter((line) => {
    const trimmed = line.trim();
    if (trimmed === HBA_NOTE) return false;
    return trimmed.startsWith('#') || trimmed.split(/\s+/)[1] !== 'replication';
  });
  while (kept.at(-1) === '') kept.pop();
  return `${[...kept, '', HBA_NOTE, `host replication ${REPLICATION_ROLE} 127.0.0.1/32 scram-sha-256`].join('\n')}\n`;
}

/** postgresql.auto.conf with this standby's primary_conninfo and primary_slot_name, others kept. */
function streamingSettings(autoConf: string, conninfo: string, slot: string): string {
  const kept = autoConf
    .split('\n')
    .filter((line) => !/^\s*(primary_conninfo|primary_slot_name)\s*=/.test(line));
  while (kept.at(-1) === '') kept.pop();
  return `${[...kept, `primary_conninfo = '${conninfo}'`, `primary_slot_name = '${slot}'`].join('\n')}\n`;
}

/**
 * Every start, with every server stopped: pg_hba of each server, and each
 * standby's connection to the primary, as the replication role through its
 * slot (a cluster made before either existed is brought up to date).
 */
async function configureReplication(options: ClusterOptions): Promise<void> {
  const paths = clusterPaths(options.baseDir);
  const password = replicationPassword(options.superuserPassword);
  await editDataFile(join(paths.primary, 'pg_hba.conf'), replicationOnlyByRole, options.runAs);
  for (const [index] of options.standbyPorts.entries()) {
    const dir = paths.standby(index);
    await editDataFile(join(dir, 'pg_hba.conf'), replicationOnlyByRole, options.runAs);
    const conninfo =
      `host=127.0.0.1 port=${options.primaryPort} user=${REPLICATION_ROLE} ` +
      `password=${password} application_name=${standbyName(index)}`;
    await editDataFile(
      join(dir, 'postgresql.auto.conf'),
      (text) => streamingSettings(text, conninfo, slotName(index)),
      options.runAs,
    );
  }
}

/**
 * On the running primary, before any standby starts: the replication role,
 * and a slot per standby, reserving WAL from its creation on
 * (immediately_reserve) rather than from the standby's first connection. A
 * slot of ours whose standby is no longer started (fewer standbys) is
 * dropped: inactive, it would hold WAL for ever.
 */
async function prepareStreaming(options: ClusterOptions): Promise<void> {
  const sql = superuserConnection(options.primaryPort, options.superuserPassword);
  try {
    await ensureReplicationRole(sql, replicationPassword(options.superuserPassword));
    const wanted = options.standbyPorts.map((_, index) => slotName(index));
    const existing = await sql<{ slot_name: string; active: boolean }[]>`
      select slot_name, active from pg_replication_slots`;
    for (const slot of wanted) {
      if (!existing.some((row) => row.slot_name === slot))
        await sql`select pg_create_physical_replication_slot(${slot}, true)`;
    }
    for (const { slot_name: slot, active } of existing) {
      if (OWN_SLOT.test(slot) && !wanted.includes(slot) && !active)
        await sql`select pg_drop_replication_slot(${slot})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Creates what is missing: the primary once, and each standby as a cold copy
 * of the stopped primary (same system_identifier and timeline, no
 * pg_basebackup needed), so more standbys can be added to an existing cluster.
 */
async function createClusterFiles(options: ClusterOptions): Promise<void> {
  const paths = clusterPaths(options.baseDir);
  if (!existsSync(paths.primary)) {
    const staging = `${paths.primary}.new`;
    await removeAsAccount(staging, options.runAs);
    if (options.template) await copyCluster(options.template, staging, options.runAs);
    else await initCluster(options.binaries, staging, options.superuserPassword, options.runAs);
    await emptyAsAccount(join(staging, 'pg_replslot'), options.runAs);
    await copyCluster(staging, paths.primary, options.runAs);
    await removeAsAccount(staging, options.runAs);
  }
  for (const [index] of options.standbyPorts.entries()) {
    const dir = paths.standby(index);
    if (existsSync(dir)) continue;
    const staging = `${dir}.new`;
    await removeAsAccount(staging, options.runAs);
    await copyCluster(paths.primary, staging, options.runAs);
    await removeAsAccount(join(staging, 'postmaster.pid'), options.runAs);
    // The primary's slots are its own: copied, they would hold WAL on the
    // standby, and a standby promoted later would carry them.
    await emptyAsAccount(join(staging, 'pg_replslot'), options.runAs);
    await editDataFile(join(staging, 'standby.signal'), () => '', options.runAs);
    await copyCluster(staging, dir, options.runAs);
    await removeAsAccount(staging, options.runAs);
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

/**
 * Starts a real primary and real streaming hot standbys on 127.0.0.1, each
 * standby streaming as the replication role through its own slot.
 */
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
  await configureReplication(options);
  const primary = await startServer(options, 'primary');
  const standbys: PostgresServer[] = [];
  try {
    await prepareStreaming(options);
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

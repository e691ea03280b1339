import { createHash } from 'node:crypto';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunAs } from './osUser.js';

// As root, PostgreSQL runs as an unprivileged account, which cannot enter a
// clone that only root can (a root home is 0700, and so is anything mktemp -d
// makes). What that account must read or write, the PostgreSQL binaries and
// the local cluster's data, lives in folders it owns here instead, one per
// path they stand for. The user's own folders are never opened up.
export const ACCOUNT_ROOT = '/var/lib/pg-replica-functions';

/** `<ACCOUNT_ROOT>/<kind>-<hash of path>`: the account's folder for `path`, not created. */
export function accountDirFor(kind: string, path: string): string {
  const key = createHash('sha256').update(resolve(path)).digest('hex').slice(0, 16);
  return join(ACCOUNT_ROOT, `${kind}-${key}`);
}

/** Creates ACCOUNT_ROOT (root's, traversable) if needed; the folders below it are the account's. */
export async function ensureAccountRoot(runAs: NonNullable<RunAs>): Promise<void> {
  try {
    await mkdir(ACCOUNT_ROOT, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new Error(
      `PostgreSQL runs as ${runAs.name}, which cannot enter this project's folder, so its files ` +
        `go to ${ACCOUNT_ROOT}, which could not be created (${(error as Error).message}). ` +
        'Create it, or run npm as an unprivileged user.',
      { cause: error },
    );
  }
}

/** Gives `dir` (created if missing) to the account, closed to everyone else. */
export async function ensureAccountDir(dir: string, runAs: NonNullable<RunAs>): Promise<void> {
  await ensureAccountRoot(runAs);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o700);
  await chown(dir, runAs.uid, runAs.gid);
}

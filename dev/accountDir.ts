import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
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

// Root in the account's folders: anything the account can run may plant a
// symbolic link there (to /etc, say), and root must never chmod, chown or
// write through it. So root walks a path one name at a time, each opened
// relative to the folder before it (/proc/self/fd/<fd>/<name>: Linux's
// openat), never following a link unless root made it in a folder only root
// can change, and then works on the descriptor it holds (fchmod, fchown).
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
const FOLDER = O_RDONLY | O_DIRECTORY;

/** The path of `name` inside the open folder, resolved by the kernel through the descriptor. */
export const inFolder = (folder: FileHandle, name: string) => `/proc/self/fd/${folder.fd}/${name}`;

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** The error for a link root does not follow: it names the link and where it points. */
export async function linkRefused(shown: string, at: string): Promise<Error> {
  const target = await readlink(at).catch(() => '?');
  return new Error(
    `${shown} is a symbolic link (to ${target}) in a folder another account can change; ` +
      'refusing to follow it. Remove it, and check who made it.',
  );
}

/** Follows the link `name` only if root made it in a folder only root can change (sticky or not). */
async function followTrusted(
  folder: FileHandle,
  name: string,
  shown: string,
  notFolder: unknown,
): Promise<FileHandle> {
  const at = inFolder(folder, name);
  const link = await lstat(at);
  if (!link.isSymbolicLink()) throw notFolder;
  const holder = await folder.stat();
  const rootOnly =
    holder.uid === 0 && ((holder.mode & 0o022) === 0 || (holder.mode & 0o1000) !== 0);
  if (link.uid !== 0 || !rootOnly) throw await linkRefused(shown, at);
  return open(at, FOLDER);
}

/**
 * Opens the folder `path`, refusing a link on the way that root did not make
 * (see above); with `create`, makes missing folders (0755 before umask, root's).
 */
export async function openFolder(path: string, create = false): Promise<FileHandle> {
  const names = resolve(path).split(sep).filter(Boolean);
  let folder = await open('/', FOLDER);
  let shown = '';
  try {
    for (const name of names) {
      shown += `${sep}${name}`;
      let next: FileHandle | undefined;
      while (!next) {
        try {
          next = await open(inFolder(folder, name), FOLDER | O_NOFOLLOW);
        } catch (error) {
          if (code(error) === 'ENOENT' && create) {
            await mkdir(inFolder(folder, name), 0o755).catch((made) => {
              if (code(made) !== 'EEXIST') throw made;
            });
          } else if (code(error) === 'ELOOP' || code(error) === 'ENOTDIR') {
            next = await followTrusted(folder, name, shown, error);
          } else throw error;
        }
      }
      await folder.close();
      folder = next;
    }
    return folder;
  } catch (error) {
    await folder.close();
    throw error;
  }
}

/**
 * Opens the file `path` for root without following a link anywhere the
 * account can change: refused with an error naming it. Only a plain file with
 * one name is accepted (no fifo, device or hard link to another file).
 */
export async function openFileNoFollow(
  path: string,
  flags: number,
  mode = 0o600,
): Promise<FileHandle> {
  const folder = await openFolder(dirname(resolve(path)));
  try {
    const at = inFolder(folder, basename(path));
    let file: FileHandle;
    try {
      file = await open(at, flags | O_NOFOLLOW | O_NONBLOCK, mode);
    } catch (error) {
      if (code(error) === 'ELOOP') throw await linkRefused(resolve(path), at);
      throw error;
    }
    const stat = await file.stat();
    if (!stat.isFile() || stat.nlink !== 1) {
      await file.close();
      throw new Error(`${path} is not a plain file with one name; refusing to use it`);
    }
    return file;
  } finally {
    await folder.close();
  }
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
  // Everything below trusts it: only root may change it.
  const root = await openFolder(ACCOUNT_ROOT);
  try {
    const { uid, mode } = await root.stat();
    if (uid !== 0 || (mode & 0o022) !== 0)
      throw new Error(`${ACCOUNT_ROOT} must be root's and writable by no one else`);
  } finally {
    await root.close();
  }
}

/** Gives `dir` (created if missing) to the account, closed to everyone else. */
export async function ensureAccountDir(dir: string, runAs: NonNullable<RunAs>): Promise<void> {
  await ensureAccountRoot(runAs);
  const folder = await openFolder(dir, true);
  try {
    await folder.chmod(0o700);
    await folder.chown(runAs.uid, runAs.gid);
  } finally {
    await folder.close();
  }
}

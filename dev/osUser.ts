import { execFileSync } from 'node:child_process';

/** The account PostgreSQL runs as; `undefined` means the current one. */
export type RunAs = { name: string; uid: number; gid: number } | undefined;

const CANDIDATES = ['postgres', 'node'];

function lookup(name: string): RunAs {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL refuses to run as root. As root, use an existing unprivileged
 * account (postgres, or the node image's node user), creating `postgres` as a
 * system user if neither exists.
 */
export function postgresAccount(): RunAs {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of CANDIDATES) {
    const account = lookup(name);
    if (account) return account;
  }
  execFileSync(
    'useradd',
    ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
    { stdio: 'pipe' },
  );
  const created = lookup('postgres');
  if (!created) throw new Error('could not create the postgres system user');
  return created;
}

/** The spawn options that run a child as the account (none when it is the current user). */
export function asAccount(runAs: RunAs): { uid?: number; gid?: number } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

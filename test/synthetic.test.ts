import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { isLeftover, LEFTOVER_AGE_MS, syntheticName } from '../synthetic/codes.js';
import { spawnEntry } from './support/process.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

let pair: TestPair;
let service: RunningService;

beforeAll(async () => {
  pair = await startTestPair();
  service = await startTestService({ ...pair.env, DB_CONNECT_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

function synthetic(args: string[]) {
  return spawnEntry(
    'synthetic/cli.ts',
    {
      SYNTHETIC_USER: pair.env.BASIC_AUTH_USERNAME,
      SYNTHETIC_PASSWORD: pair.env.BASIC_AUTH_PASSWORD,
    },
    args,
  );
}

const countries = async () =>
  (await pair.superuser(
    'primary',
  )`select two_letter, name from country order by two_letter`) as unknown as {
    two_letter: string;
    name: string;
  }[];

it('passes against the local server, printing one line per step, and leaves no row behind', async () => {
  const before = await countries();
  // A leftover of a crashed run, older than the reaping age, and a fresh one of a run in progress.
  const old = new Date(Date.now() - LEFTOVER_AGE_MS - 60_000);
  await pair.superuser('primary')`
    insert into country values ('XY', ${syntheticName(old, 'crashed')}, 998),
                               ('XZ', ${syntheticName(new Date(), 'running')}, 999)`;

  const cli = synthetic(['--url', service.url]);
  expect(await cli.exited, cli.output()).toBe(0);
  const output = cli.output();
  for (const step of [
    'status',
    'list',
    'read one',
    'reap leftovers',
    'create',
    'read back from replica',
    'delete',
    'replication check',
  ]) {
    expect(output).toMatch(new RegExp(`^ok +${step} +\\d+\\.\\d ms`, 'm'));
  }
  expect(output).toContain('1 removed');
  expect(output).toContain('synthetic check passed');

  const after = await countries();
  expect(after.map((row) => row.two_letter)).toEqual(
    [...before.map((row) => row.two_letter), 'XZ'].sort(),
  );
  await pair.superuser('primary')`delete from country where two_letter = 'XZ'`;
});

it('fails naming the step when the replica is down, and still deletes what it created', async () => {
  const before = await countries();
  await pair.pair.replica.stop();
  try {
    const cli = synthetic(['--url', service.url]);
    expect(await cli.exited).toBe(1);
    const output = cli.output();
    expect(output).toMatch(/^FAIL read back from replica .*HTTP 503/m);
    expect(output).toMatch(/^ok +delete/m);
    expect(output).toMatch(/^FAIL replication check .*replica-unreachable/m);
    expect(output).toContain('synthetic check FAILED');
  } finally {
    await pair.pair.restart('replica');
  }
  expect(await countries()).toEqual(before);
});

it('rejects bad arguments with exit code 2', async () => {
  const cli = synthetic(['--url', 'not-a-url']);
  expect(await cli.exited).toBe(2);
  expect(cli.output()).toContain('--url');
});

it('recognises only its own old rows as leftovers', () => {
  const now = new Date();
  const old = new Date(now.getTime() - LEFTOVER_AGE_MS);
  expect(isLeftover({ two_letter: 'XA', name: syntheticName(old, 'r') }, now)).toBe(true);
  expect(isLeftover({ two_letter: 'XA', name: syntheticName(now, 'r') }, now)).toBe(false);
  expect(isLeftover({ two_letter: 'US', name: syntheticName(old, 'r') }, now)).toBe(false);
  expect(isLeftover({ two_letter: 'XA', name: 'Somewhere real' }, now)).toBe(false);
});

import { expect, it } from 'vitest';
import { spawnEntry } from '../support/process.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('a process that exits without stopping its PostgreSQL pair leaves no postgres behind', async () => {
  const child = spawnEntry('test/support/startPairThenExit.ts', {});
  const [, primary, replica] = await child.waitFor(/pids (\d+) (\d+)/);
  expect(await child.exited).toBe(1);
  const pids = [Number(primary), Number(replica)];
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(pids.filter(alive)).toEqual([]);
});

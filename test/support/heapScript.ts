import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { ROOT, spawnEntry } from './process.js';

/**
 * Runs a heap-measuring script of test/support in its own process, with
 * --expose-gc, given `env` (the pair's settings under one variable); resolves
 * with the JSON line it prints last, or rejects with all it printed.
 */
export async function runHeapScript(
  script: string,
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  const run = spawnEntry(script, env, [], ROOT, ['--expose-gc']);
  const code = await run.exited;
  const line = run
    .output()
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .at(-1);
  if (code !== 0 || !line) throw new Error(`${script} exited with ${code}: ${run.output()}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/**
 * In such a script: the heap's objects after forced collections, in bytes.
 * Objects only: the JIT's code and bytecode (code and trusted spaces) grow
 * and shrink by a few hundred KB as functions are optimised.
 */
export async function heapAfterGc(rounds = 4): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < rounds; i++) {
    gc();
    await sleep(20);
  }
  return getHeapSpaceStatistics()
    .filter((space) => !/code|trusted/.test(space.space_name))
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

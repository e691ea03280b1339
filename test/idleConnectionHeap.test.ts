import { afterAll, beforeAll, expect, it } from 'vitest';
import { runHeapScript } from './support/heapScript.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// postgres.js 3.4.9 keeps its idle connections in a queue (queue.js) whose
// shift() leaves a hole, and which it resets only when it empties. Once a burst
// has opened several connections, steady low traffic takes them in turn and
// never empties it: 8 to 9 bytes a query, for as long as the instance lives
// (with the image's 96 MB old-space cap, an instance out of memory after about
// ten million queries). Fixed by patches/postgres+3.4.9.patch, which npm ci applies.
let pair: TestPair;
beforeAll(async () => {
  pair = await startTestPair();
}, 120_000);
afterAll(async () => {
  await pair?.stop();
});

it('100,000 reads one at a time beside idle connections: heap after GC flat', async () => {
  const figures = (await runHeapScript('test/support/idleConnectionHeap.ts', {
    IDLE_HEAP_ENV: JSON.stringify(pair.env),
  })) as { before: number; after: number };
  console.log('idle connection heap', figures);
  // The leak grew about 850 KB here.
  expect(figures.after - figures.before).toBeLessThan(200 * 1024);
}, 180_000);

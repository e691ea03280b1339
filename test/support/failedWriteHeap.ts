import { Agent, request } from 'node:http';
import { heapAfterGc } from './heapScript.js';
import { startTestService } from './service.js';

// Run with --expose-gc (test/failedWriteHeap.test.ts): POST /country of a
// country whose country_id a check constraint of the primary refuses (the test
// adds it), WRITES times, each a failed insert answered 400; prints the heap after a forced GC before and after (objects,
// not compiled code). The first 4,000 warm up: lazily compiled code and its
// strings grow the heap by about 600 KB in all. node:http on one kept-alive connection, not fetch
// (fetch keeps a timing entry per request).
const env = JSON.parse(process.env.FAILED_WRITE_HEAP_ENV ?? '{}') as Record<string, string>;
const writes = Number(process.env.FAILED_WRITE_HEAP_WRITES ?? 4000);
const WARM_UP = 4000;

const service = await startTestService({ ...env, K_SERVICE: 'failed-write-heap' });
const authorization = `Basic ${Buffer.from(`${env.BASIC_AUTH_USERNAME}:${env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const refused = JSON.stringify({
  name: 'Refusedland',
  two_letter: 'QZ',
  country_id: Number(process.env.FAILED_WRITE_HEAP_REFUSED_ID),
});

function postRefused(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${service.url}/country`,
      {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(refused);
  });
}

async function post(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const status = await postRefused();
    if (status !== 400) throw new Error(`a refused write answered ${status}`);
  }
}

await post(WARM_UP);
const before = await heapAfterGc();
await post(writes);
const after = await heapAfterGc();
agent.destroy();
await service.close();
console.log(JSON.stringify({ writes, before, after, perWrite: (after - before) / writes }));

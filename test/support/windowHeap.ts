import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import * as v from 'valibot';
import { checkProblem } from '../../replication/reportSchema.js';
import { heapAfterGc } from './heapScript.js';
import { startTestService } from './service.js';

// Run with --expose-gc (test/windowLifetime.test.ts): sampling windows
// through HTTP on one kept-alive connection, every other one left by its
// caller mid-window; prints the heap after a forced GC before and after the
// measured windows (objects, not compiled code), and every warning Node printed (MaxListenersExceededWarning).
// node:http, not fetch: fetch keeps a timing entry per request (up to 250).
const env = JSON.parse(process.env.WINDOW_HEAP_ENV ?? '{}') as Record<string, string>;
const windows = Number(process.env.WINDOW_HEAP_WINDOWS ?? 200);
const WARM_UP = 100;
const warnings: string[] = [];
const failedChecks: string[] = [];
process.on('warning', (warning) => warnings.push(`${warning.name}: ${warning.message}`));

const service = await startTestService({ ...env, K_SERVICE: 'window-heap' });
const authorization = `Basic ${Buffer.from(`${env.BASIC_AUTH_USERNAME}:${env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One POST; a caller that leaves destroys its connection after `leaveAfterMs`. */
function post(query: string, leaveAfterMs?: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(
      `${service.url}/replication_check?${query}`,
      { method: 'POST', headers: { authorization }, agent },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text });
        });
      },
    );
    const timer =
      leaveAfterMs === undefined ? undefined : setTimeout(() => req.destroy(), leaveAfterMs);
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end();
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function runWindow(leave: boolean): Promise<void> {
  for (;;) {
    const answer = leave ? await post('samples=3&interval_ms=100', 60) : await post('samples=1');
    // A window left a moment ago may still hold its slot.
    if (answer.status === 503 && answer.text.includes('windows-busy')) {
      await sleep(20);
      continue;
    }
    if (leave || answer.status === 200) return;
    // A check that failed still ran its whole window (on a loaded CI machine a
    // replica can miss the threshold or a connect deadline): its report counts.
    const report = answer.status === 503 ? parseJson(answer.text) : undefined;
    if (!v.is(checkProblem, report)) {
      throw new Error(`a window answered ${answer.status}: ${answer.text.slice(0, 2000)}`);
    }
    failedChecks.push(`${report.type}: ${report.detail}`);
    return;
  }
}

// Warm-up: the JIT's code and feedback grow for the first hundred or so.
for (let i = 0; i < WARM_UP; i++) await runWindow(i % 2 === 1);
await sleep(500);
const before = await heapAfterGc();
for (let i = 0; i < windows; i++) await runWindow(i % 2 === 1);
await sleep(500);
const after = await heapAfterGc();
// A caller that leaves takes its connection along; one that stays keeps it:
// 15 windows in a row on one connection leave no listener on its socket.
for (let i = 0; i < 15; i++) await runWindow(false);
agent.destroy();
await service.close();
console.log(
  JSON.stringify({
    windows,
    before,
    after,
    perWindow: (after - before) / windows,
    warnings,
    failedChecks,
  }),
);

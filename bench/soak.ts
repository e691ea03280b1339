// `npm run bench:soak`: does the server's memory stay flat? The compiled
// server on a local primary + two standbys, for SOAK_MINUTES (default 30; it
// stops by itself), all traffic to 127.0.0.1: every minute, a sampling window
// (POST /replication_check?samples=50&interval_ms=1000, as Cloud Scheduler
// runs one a minute) runs in the background while wrk sends SOAK_SECONDS (45)
// of mixed traffic at SOAK_CONNECTIONS (8): GET /status, GET /country/US,
// GET /country_replica/US, GET /country, POST /country (409), GET /metrics,
// GET /status/replication. Standby 2 is stopped and started again once, in
// the middle. Prints RSS and V8 heap every minute, then the slope of RSS
// after SOAK_WARMUP_MINUTES (3), by least squares.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../dev/freePort.js';
import { startTestPair } from '../test/support/testPair.js';
import { serverArgs, stop, timeToFirst200 } from './startProcess.js';
import { runMixed } from './wrk.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 45);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 8);
const WARMUP = Number(process.env.SOAK_WARMUP_MINUTES ?? 3);
const RESTART_AT = Math.max(1, Math.floor(MINUTES / 2));

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const pair = await startTestPair({ standbys: 2 });
const authorization = `Basic ${Buffer.from(`${pair.env.BASIC_AUTH_USERNAME}:${pair.env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const { child } = await timeToFirst200(
  serverArgs(),
  { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env, PORT: String(port) },
  `${base}/status`,
);

const auth = { authorization };
const mix = [
  { path: '/status' },
  { path: '/country/US', headers: auth },
  { path: '/country_replica/US', headers: auth },
  { path: '/country', headers: auth },
  {
    path: '/country',
    method: 'POST' as const,
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'United States of America', two_letter: 'US', country_id: 840 }),
  },
  { path: '/metrics', headers: auth },
  { path: '/status/replication', headers: auth },
];

function memory(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const mb = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

async function heapMb(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: auth })).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? 0) / 1e6;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

console.log(
  `\nsoak: ${MINUTES} min, each minute a 50 × 1 s sampling window in the background and ${SECONDS} s of wrk (1 thread, ${CONNECTIONS} connections) cycling ${mix.length} requests; standby 2 restarted in minute ${RESTART_AT}`,
);
console.log(
  '| minute | RSS MB | heap used MB | req/s | 2xx/3xx | 4xx | 5xx | socket errors | window |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
const rssByMinute: [number, number][] = [];
const started = Date.now();
try {
  for (let minute = 1; minute <= MINUTES; minute++) {
    const minuteEnds = started + minute * 60_000;
    const window = fetch(`${base}/replication_check?samples=50&interval_ms=1000`, {
      method: 'POST',
      headers: auth,
    }).then(
      (r) => r.text().then(() => String(r.status)),
      (error: unknown) => `failed: ${String(error)}`,
    );
    const restart =
      minute === RESTART_AT
        ? (async () => {
            await new Promise((resolve) => setTimeout(resolve, 10_000));
            await pair.pair.restart(1);
          })()
        : Promise.resolve();
    const traffic = await runMixed(base, mix, CONNECTIONS, SECONDS);
    const [status] = await Promise.all([window, restart]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, minuteEnds - Date.now())));
    const { rss } = memory();
    rssByMinute.push([minute, rss]);
    const c = traffic.byClass;
    console.log(
      `| ${minute}${minute === RESTART_AT ? ' (standby 2 restarted)' : ''} | ${rss.toFixed(1)} | ${(await heapMb()).toFixed(1)} | ${traffic.rps.toFixed(0)} | ${c['2xx/3xx']} | ${c['4xx']} | ${c['5xx']} | ${c['socket errors']} | ${status} |`,
    );
  }
} finally {
  const { peak } = memory();
  await stop(child);
  await pair.stop();
  const steady = rssByMinute.filter(([minute]) => minute > WARMUP);
  const perMinute = steady.length > 1 ? slope(steady) : Number.NaN;
  console.log(
    `\nRSS peak ${peak.toFixed(0)} MB; slope after minute ${WARMUP}: ${perMinute.toFixed(3)} MB/min (${(perMinute * 60).toFixed(1)} MB/h) over ${steady.length} minutes`,
  );
}

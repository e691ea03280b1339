// `npm run bench`: throughput and latency of the compiled server on a local
// primary + two streaming standbys, beside the Functions Framework hello world
// served the same way, at 32 connections (1 for the replication check), load
// from wrk (see wrk.ts for why not autocannon). Prints its method, medians
// over ROUNDS interleaved rounds of DURATION seconds with each case's ratio to
// the hello world of the same run, the CPU each request cost the serving
// process and PostgreSQL (from /proc: what the ratios are made of), RSS
// peaks, cold starts (× hello), then the cost of one sampling window
// (WINDOW_SAMPLES × 1 s, default 60).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startTestPair } from '../test/support/testPair.js';
import { measureColdStarts } from './coldStartCases.js';
import { measureProbeStart } from './probeStart.js';
import {
  cpuSeconds,
  FRAMEWORK_CLI,
  median,
  postgresCpuSeconds,
  rssMb,
  serveOnFreePort,
  serverArgs,
  stop,
} from './startProcess.js';
import { measureWindow } from './windowCost.js';
import { LOAD_GENERATOR, runLoad } from './wrk.js';

const DURATION = Number(process.env.DURATION ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = 32;
const WINDOW_SAMPLES = Number(process.env.WINDOW_SAMPLES ?? 60);

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const pair = await startTestPair({ standbys: 2 });
const authorization = `Basic ${Buffer.from(`${pair.env.BASIC_AUTH_USERNAME}:${pair.env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;

/** recovery_min_apply_delay on standby 2, once its server reads the new value. */
async function setApplyDelay(ms: number) {
  const standby = pair.superuser(1, 'postgres');
  await standby.unsafe(`alter system set recovery_min_apply_delay = '${ms}ms'`);
  await standby`select pg_reload_conf()`;
  for (;;) {
    const [row] =
      await standby`select setting from pg_settings where name = 'recovery_min_apply_delay'`;
    if (Number(row?.setting) === ms) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const service = await serveOnFreePort(
  serverArgs(),
  { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env },
  '/status',
);
// BASELINE_DIST: the dist/ folder of another build (say, the previous commit's,
// built in a git worktree), served beside this one so that a change is measured
// against it in the same run.
const BASELINE_DIST = process.env.BASELINE_DIST;
const baselineBuild = BASELINE_DIST
  ? await serveOnFreePort(
      serverArgs(BASELINE_DIST),
      { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env },
      '/status',
    )
  : undefined;
const hello = await serveOnFreePort(
  [FRAMEWORK_CLI, '--target=helloWorld', '--source=bench/helloWorld.cjs'],
  { PATH: process.env.PATH, NODE_ENV: 'production' },
  '/',
);
const rawSelect = await serveOnFreePort(
  [FRAMEWORK_CLI, '--target=rawSelect', '--source=bench/rawSelect.cjs'],
  { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env },
  '/',
);

type Served = Awaited<ReturnType<typeof serveOnFreePort>>;
interface Case {
  name: string;
  /** The process serving it (its CPU time is counted) and the path asked of it. */
  server: Served;
  path: string;
  method?: 'GET' | 'POST';
  auth: boolean;
  connections?: number;
  body?: string;
  /** The status every answer should have (default 200). */
  expected?: number;
}
const cases: Case[] = [
  { name: 'hello world (FF)', server: hello, path: '/', auth: false },
  { name: 'GET /status', server: service, path: '/status', auth: false },
  // One prepared select on the primary and nothing else: the ceiling of GET /country/US.
  {
    name: 'raw postgres.js select (FF)',
    server: rawSelect,
    path: '/',
    auth: false,
  },
  { name: 'GET /country/US', server: service, path: '/country/US', auth: true },
  {
    name: 'GET /country (249 rows)',
    server: service,
    path: '/country',
    auth: true,
  },
  {
    name: 'GET /country_replica/US',
    server: service,
    path: '/country_replica/US',
    auth: true,
  },
  {
    // The whole write path (body, validation, insert) without growing the table: US exists.
    name: 'POST /country (409 duplicate)',
    server: service,
    path: '/country',
    method: 'POST',
    auth: true,
    body: JSON.stringify({ name: 'United States of America', two_letter: 'US', country_id: 840 }),
    expected: 409,
  },
  {
    name: 'POST /replication_check (c=1)',
    server: service,
    path: '/replication_check',
    method: 'POST',
    auth: true,
    connections: 1,
  },
];
if (baselineBuild) {
  const duplicate = cases.find((c) => c.name.startsWith('POST /country'));
  cases.push(
    {
      name: 'GET /country/US — baseline build',
      server: baselineBuild,
      path: '/country/US',
      auth: true,
    },
    {
      ...(duplicate as Case),
      name: `${duplicate?.name} — baseline build`,
      server: baselineBuild,
      path: '/country',
    },
  );
}

// Peak connections the service holds per host, sampled while a case runs.
const monitor = {
  primary: pair.superuser('primary', 'postgres'),
  replica: pair.superuser('replica', 'postgres'),
};
async function connectionsHeld(role: 'primary' | 'replica'): Promise<number> {
  const [row] = await monitor[role]`
    select count(*)::int as count from pg_stat_activity where application_name = 'pg-replica-functions:api'`;
  return Number(row?.count);
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  primaryPeak: number;
  replicaPeak: number;
  /** CPU per answered request, of the serving process and of every PostgreSQL process. */
  serverCpuUs: number;
  postgresCpuUs: number;
}

async function run(c: Case, duration: number): Promise<Run> {
  let primaryPeak = 0;
  let replicaPeak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [p, r] = await Promise.all([connectionsHeld('primary'), connectionsHeld('replica')]);
      primaryPeak = Math.max(primaryPeak, p);
      replicaPeak = Math.max(replicaPeak, r);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const pid = c.server.child.pid ?? 0;
  const cpuBefore = { server: cpuSeconds(pid), postgres: postgresCpuSeconds() };
  const result = await runLoad({
    url: `${c.server.url}${c.path}`,
    method: c.method ?? 'GET',
    connections: c.connections ?? CONNECTIONS,
    durationS: duration,
    headers: {
      ...(c.auth ? { authorization } : {}),
      ...(c.body ? { 'content-type': 'application/json' } : {}),
    },
    ...(c.body ? { body: c.body } : {}),
    expected: c.expected ?? 200,
  });
  const requests = result.rps * duration;
  const perRequestUs = (seconds: number) => (requests > 0 ? (seconds * 1e6) / requests : 0);
  const serverCpuUs = perRequestUs(cpuSeconds(pid) - cpuBefore.server);
  const postgresCpuUs = perRequestUs(postgresCpuSeconds() - cpuBefore.postgres);
  sampling = false;
  await sampler;
  return { ...result, primaryPeak, replicaPeak, serverCpuUs, postgresCpuUs };
}

for (const c of cases) await run(c, 2); // warm-up: JIT, pools, prepared statements
const runs = new Map<string, Run[]>(cases.map((c) => [c.name, []]));
// Every other round runs the cases in reverse, so that no case always follows the same one.
for (let round = 0; round < ROUNDS; round++) {
  for (const c of round % 2 ? [...cases].reverse() : cases) {
    runs.get(c.name)?.push(await run(c, DURATION));
  }
}
const rss = rssMb(service.child);
const helloRss = rssMb(hello.child);
await Promise.all([
  stop(service.child),
  stop(hello.child),
  stop(rawSelect.child),
  baselineBuild && stop(baselineBuild.child),
]);

// The window on a fresh server process, so that only its own connections count;
// standby 2 applies every commit LATE_MS late, so one window measures a
// healthy replica and a late one.
const LATE_MS = 1000;
await setApplyDelay(LATE_MS);
const checker = await serveOnFreePort(
  serverArgs(),
  { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env },
  '/status',
);
const window = await measureWindow({
  url: checker.url,
  authorization,
  pid: checker.child.pid ?? 0,
  hosts: {
    primary: monitor.primary,
    standby1: pair.superuser(0, 'postgres'),
    standby2: pair.superuser(1, 'postgres'),
  },
  applicationName: 'pg-replica-functions:api',
  samples: WINDOW_SAMPLES,
  intervalMs: 1000,
});
await setApplyDelay(0);
await stop(checker.child);
const coldStarts = await measureColdStarts(pair, 5);
const probeStartMs = await measureProbeStart(pair, 5);
await pair.stop();

const baseline = median(runs.get(cases[0]?.name ?? '')?.map((r) => r.rps) ?? []);
const cpu =
  readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpu}, ${execFileSync('nproc').toString().trim()} cores`,
);
console.log(
  `method: ${LOAD_GENERATOR}, ${CONNECTIONS} connections (replication check: 1), keep-alive; ` +
    `a 2 s warm-up per case, then ${ROUNDS} rounds of ${DURATION} s per case, every other round in reverse order; ` +
    `medians; × hello = this case's median / the hello world's median in this run; ` +
    `server: node ${serverArgs().join(' ')} (the image's CMD; NODE_ENV=production), DB_POOL_MAX=10\n`,
);
console.log(
  '| case | req/s | × hello | p50 ms | p99 ms | errors | peak conns primary/replica | CPU µs/request: server, PostgreSQL |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const c of cases) {
  const list = runs.get(c.name) ?? [];
  const rps = median(list.map((r) => r.rps));
  console.log(
    `| ${c.name} | ${rps.toFixed(0)} | ${(rps / baseline).toFixed(2)} | ${median(list.map((r) => r.p50)).toFixed(1)} | ${median(list.map((r) => r.p99)).toFixed(1)} | ${list.reduce((sum, r) => sum + r.errors, 0)} | ${Math.max(...list.map((r) => r.primaryPeak))}/${Math.max(...list.map((r) => r.replicaPeak))} | ${median(list.map((r) => r.serverCpuUs)).toFixed(0)}, ${median(list.map((r) => r.postgresCpuUs)).toFixed(0)} |`,
  );
}
const rpsOf = (name: string) => median(runs.get(name)?.map((r) => r.rps) ?? []);
const ceiling = rpsOf('raw postgres.js select (FF)');
console.log(
  `\nGET /country/US runs at ${(rpsOf('GET /country/US') / ceiling).toFixed(2)}× the raw select, ` +
    `which itself runs at ${(ceiling / baseline).toFixed(2)}× hello: the rest of the gap is PostgreSQL's CPU and the round trip on these cores`,
);
const helloCold = median(coldStarts[0]?.runs ?? []);
for (const cold of coldStarts.slice(1)) {
  console.log(
    `| cold start, ${cold.name.replace('service, ', '')} | – | ${(median(cold.runs) / helloCold).toFixed(2)} | ${median(cold.runs).toFixed(0)} (hello ${helloCold.toFixed(0)}) | – | – | – | – |`,
  );
}
console.log(
  `\nsampling window ${window.samples} × ${window.intervalMs} ms over two standbys (status ${window.status}): ` +
    `${window.wallS.toFixed(1)} s wall, ${window.cpuS.toFixed(2)} s CPU of the service ` +
    `(${((100 * window.cpuS) / window.wallS).toFixed(1)} % of a core), ` +
    `${window.walBytes} bytes of WAL on the primary (${(window.walBytes / window.samples).toFixed(0)} per heartbeat), ` +
    `peak connections ${Object.entries(window.peakConnections)
      .map(([host, count]) => `${host} ${count}`)
      .join(', ')}`,
);
for (const [index, replica] of window.replicas.entries()) {
  const injected = index === 1 ? LATE_MS : 0;
  const error = (ms: number | null) => (ms === null ? 'n/a' : `${(ms - injected).toFixed(1)}`);
  console.log(
    `  standby ${index + 1}${injected ? ` (applying ${injected} ms late)` : ' (healthy)'}: ` +
      `seen ${replica.seen}/${window.samples}, lag p50 ${replica.lag_ms.p50} ms, p99 ${replica.lag_ms.p99} ms, max ${replica.lag_ms.max} ms` +
      `${injected ? ` (true error: p50 +${error(replica.lag_ms.p50)} ms, max +${error(replica.lag_ms.max)} ms)` : ''}; ` +
      `${(replica.polls / window.samples).toFixed(1)} polls per heartbeat, ${(replica.polls / window.wallS).toFixed(1)} queries/s on the replica`,
  );
}
console.log(
  `\nprobe (npm run probe, through tsx): ${probeStartMs.toFixed(0)} ms from spawn to its first heartbeat on the primary (median of 5)`,
);
console.log(
  `\nserver RSS: ${rss.now.toFixed(0)} MB now, ${rss.peak.toFixed(0)} MB peak (VmHWM, over every case above)`,
);
console.log(
  `hello world RSS: ${helloRss.now.toFixed(0)} MB now, ${helloRss.peak.toFixed(0)} MB peak`,
);

// `BASELINE_DIST=/path/to/other/dist npm run bench:compare`: this build against
// another (say the previous commit's, built in a git worktree), the
// framework's hello world beside both, on one local primary + two standbys.
// Each round starts every build afresh, in turned order (the start is a cold
// start sample: time to the first 200), warms it up for 2 s per case, runs
// GET /country/US and POST /country (409 on the existing US) for DURATION s
// (5) at 32 connections, reads its RSS peak and stops it; ROUNDS rounds (10).
// Prints medians and ratios to the hello world. Each build
// runs as its own Dockerfile's CMD starts it; SAME_FLAGS=1 gives the baseline
// this build's V8 flags instead, so that only the code differs.
import { execFileSync } from 'node:child_process';
import { startTestPair } from '../test/support/testPair.js';
import { FRAMEWORK_CLI, median, rssMb, serveOnFreePort, serverArgs, stop } from './startProcess.js';
import { LOAD_GENERATOR, runLoad } from './wrk.js';

const BASELINE_DIST = process.env.BASELINE_DIST;
if (!BASELINE_DIST) {
  console.error('set BASELINE_DIST to the dist/ folder of the build to compare with');
  process.exit(2);
}
const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const WARM_UP_S = 2;

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const pair = await startTestPair({ standbys: 2 });
const authorization = `Basic ${Buffer.from(`${pair.env.BASIC_AUTH_USERNAME}:${pair.env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;
const env = { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env };
const isFlag = (arg: string) => arg.startsWith('--');
const baselineArgs = process.env.SAME_FLAGS
  ? [...serverArgs().filter(isFlag), ...serverArgs(BASELINE_DIST).filter((arg) => !isFlag(arg))]
  : serverArgs(BASELINE_DIST);
const builds = {
  'this build': serverArgs(),
  baseline: baselineArgs,
  'hello world': [FRAMEWORK_CLI, '--target=helloWorld', '--source=bench/helloWorld.cjs'],
};
type Build = keyof typeof builds;

const serve = (build: Build) =>
  build === 'hello world'
    ? serveOnFreePort(builds[build], env, '/')
    : serveOnFreePort(builds[build], env, '/country/US', { authorization });

const body = JSON.stringify({
  name: 'United States of America',
  two_letter: 'US',
  country_id: 840,
});
const load = (url: string, kind: 'GET' | 'POST', build: Build, durationS: number) =>
  runLoad({
    url: build === 'hello world' ? `${url}/` : `${url}/country${kind === 'GET' ? '/US' : ''}`,
    method: kind,
    connections: 32,
    durationS,
    headers: { authorization, 'content-type': 'application/json' },
    ...(kind === 'POST' && build !== 'hello world' ? { body, expected: 409 } : {}),
  });

// A fresh process for every build in every round: two processes of one build
// differ by up to a sixth in req/s on this machine (JIT and heap layout of the
// run), so a median over rounds of one process each measures that process,
// not the build. Each start is also a cold start sample.
const rps: Record<string, number[]> = {};
const cold: Record<string, number[]> = {};
const rssPeak: Record<string, number[]> = {};
const names = Object.keys(builds) as Build[];
const kinds = (build: Build) =>
  build === 'hello world' ? (['GET'] as const) : (['GET', 'POST'] as const);
for (let round = 0; round < ROUNDS; round++) {
  for (const build of names.map((_, i) => names[(i + round) % names.length] as Build)) {
    const server = await serve(build);
    cold[build] = [...(cold[build] ?? []), server.ms];
    for (const kind of kinds(build)) await load(server.url, kind, build, WARM_UP_S);
    for (const kind of kinds(build)) {
      const result = await load(server.url, kind, build, DURATION);
      rps[`${kind} ${build}`] = [...(rps[`${kind} ${build}`] ?? []), result.rps];
    }
    rssPeak[build] = [...(rssPeak[build] ?? []), rssMb(server.child).peak];
    await stop(server.child);
  }
}
await pair.stop();

const hello = median(rps['GET hello world'] ?? []);
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${LOAD_GENERATOR}, ${ROUNDS} rounds × ${DURATION} s, 32 connections, medians`,
);
console.log(
  `this build: node ${builds['this build'].join(' ')}; baseline: node ${baselineArgs.join(' ')}`,
);
console.log(
  '| case | this build req/s | baseline req/s | this / hello | baseline / hello | change |',
);
console.log('|---|---|---|---|---|---|');
for (const kind of ['GET /country/US', 'POST /country (409)']) {
  const key = kind.startsWith('GET') ? 'GET' : 'POST';
  const now = median(rps[`${key} this build`] ?? []);
  const before = median(rps[`${key} baseline`] ?? []);
  console.log(
    `| ${kind} | ${now.toFixed(0)} | ${before.toFixed(0)} | ${(now / hello).toFixed(3)} | ${(before / hello).toFixed(3)} | ${(((now - before) / before) * 100).toFixed(1)} % |`,
  );
}
console.log(`| hello world | ${hello.toFixed(0)} | | | | |`);
console.log(
  `RSS peak under that load (VmHWM), median: this build ${median(rssPeak['this build'] ?? []).toFixed(0)} MB, baseline ${median(rssPeak.baseline ?? []).toFixed(0)} MB, hello world ${median(rssPeak['hello world'] ?? []).toFixed(0)} MB`,
);
console.log(
  `cold start to first 200, median of ${ROUNDS}: this build ${median(cold['this build'] ?? []).toFixed(0)} ms, baseline ${median(cold.baseline ?? []).toFixed(0)} ms, hello world ${median(cold['hello world'] ?? []).toFixed(0)} ms`,
);

// `npm run bench:ablation`: what each behaviour of the request path costs.
// The built bundle is served as the image runs it, and beside it copies of it
// that each leave one behaviour out, changed in one place of the bundle's text
// (the change fails loudly if that text is gone), plus the raw postgres.js
// select (the ceiling of a request that makes one round trip), and an unchanged
// copy, whose difference from the build is the noise of the run. Each round runs
// GET /country/US, GET /country_replica/US and POST /country (409) on every
// server in turned order, wrk at 32 connections for DURATION s (5), ROUNDS
// times (6). Prints medians: req/s, the change against the build as it is, and
// the CPU each request cost the server and PostgreSQL. The copies are
// measurements, not options: none of them is a configuration of the service.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { POSTGRES_PATCHES } from '../test/support/image.js';
import { startTestPair } from '../test/support/testPair.js';
import {
  cpuSeconds,
  FRAMEWORK_CLI,
  median,
  postgresCpuSeconds,
  serveOnFreePort,
  serverArgs,
  stop,
} from './startProcess.js';
import { LOAD_GENERATOR, runLoad } from './wrk.js';

const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const CONNECTIONS = 32;

interface Variant {
  name: string;
  /** What the copy leaves out, as [text in the bundle, its replacement]. */
  change?: [string, string];
  /** Other node flags than the image's CMD. */
  args?: (args: string[]) => string[];
}

const VARIANTS: Variant[] = [
  { name: 'as built' },
  {
    // An unchanged copy: how far two identical servers differ in one run.
    name: 'as built, a copy (control)',
    change: ['createAdmission(settings.poolMax)', 'createAdmission(settings.poolMax)'],
  },
  {
    // db/hostClient.ts: at most DB_POOL_MAX queries per host at once, the rest
    // wait in the service (so that a write answered 503 is never sent later).
    name: 'without admission',
    change: ['createAdmission(settings.poolMax)', 'createAdmission(Number.MAX_SAFE_INTEGER)'],
  },
  {
    // The image's --max-semi-space-size and --max-old-space-size.
    name: 'without the memory flags',
    args: (args) => args.filter((arg) => !arg.startsWith('--max-')),
  },
  {
    // patches/: postgres.js keeps nothing for a failed unsafe() query.
    name: 'without the leak fix',
    change: [POSTGRES_PATCHES.origin, 'this.tagged &&'],
  },
  {
    name: 'without Basic auth',
    change: ['if (found.route.auth) {', 'if (false) {'],
  },
  {
    name: 'without the request metric',
    change: ['options.observe?.(', 'void ('],
  },
];

/** A copy of dist/ beside the Dockerfile and node_modules, its bundle changed in one place. */
const copies: string[] = [];
function variantDist([text, replacement]: [string, string]): string {
  const root = mkdtempSync(join(tmpdir(), 'ablation-'));
  copies.push(root);
  cpSync('dist', join(root, 'dist'), { recursive: true });
  cpSync('Dockerfile', join(root, 'Dockerfile'));
  cpSync('package.json', join(root, 'package.json'));
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
  const bundle = join(root, 'dist/server/main.js');
  const source = readFileSync(bundle, 'utf8');
  if (source.split(text).length !== 2) {
    throw new Error(`the bundle does not hold ${JSON.stringify(text)} exactly once`);
  }
  writeFileSync(bundle, source.replace(text, replacement));
  return join(root, 'dist');
}

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const pair = await startTestPair({ standbys: 2 });
const authorization = `Basic ${Buffer.from(`${pair.env.BASIC_AUTH_USERNAME}:${pair.env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;
// Idle connections kept: a server waits while the others are measured, and a
// backend that exits takes its CPU time out of PostgreSQL's sum.
const env = {
  PATH: process.env.PATH,
  NODE_ENV: 'production',
  ...pair.env,
  DB_IDLE_TIMEOUT_S: '0',
};

const serve = (args: string[], probe: string, headers: Record<string, string>) =>
  serveOnFreePort(args, env, probe, headers);

type Served = Awaited<ReturnType<typeof serve>>;
const servers: { name: string; served: Served; raw: boolean }[] = [];
for (const variant of VARIANTS) {
  const dist = variant.change ? variantDist(variant.change) : 'dist';
  const args = (variant.args ?? ((a) => a))(serverArgs(dist));
  servers.push({
    name: variant.name,
    served: await serve(args, '/country/US', { authorization }),
    raw: false,
  });
}
servers.push({
  name: 'raw postgres.js select (FF)',
  served: await serve(
    [FRAMEWORK_CLI, '--target=rawSelect', '--source=bench/rawSelect.cjs'],
    '/',
    {},
  ),
  raw: true,
});

const duplicate = JSON.stringify({
  name: 'United States of America',
  two_letter: 'US',
  country_id: 840,
});
const CASES = [
  { name: 'GET /country/US', path: '/country/US' },
  { name: 'GET /country_replica/US', path: '/country_replica/US' },
  {
    name: 'POST /country (409)',
    path: '/country',
    method: 'POST' as const,
    body: duplicate,
    expected: 409,
  },
];

type Figures = { rps: number[]; server: number[]; postgres: number[] };
const figures = new Map<string, Figures>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = servers.map((_, i) => servers[(i + round) % servers.length] ?? servers[0]);
    for (const c of CASES) {
      for (const server of order) {
        if (!server || (server.raw && c.path !== '/country/US')) continue;
        const load = {
          ...c,
          url: `${server.served.url}${server.raw ? '/' : c.path}`,
          connections: CONNECTIONS,
          headers: { authorization, 'content-type': 'application/json' },
        };
        if (round === 0) await runLoad({ ...load, durationS: 2 });
        const pid = server.served.child.pid ?? 0;
        const [cpu, postgresCpu] = [cpuSeconds(pid), postgresCpuSeconds()];
        const result = await runLoad({ ...load, durationS: DURATION });
        if (result.errors > 0)
          throw new Error(`${server.name}, ${c.name}: ${result.errors} unexpected answers`);
        const requests = result.rps * DURATION;
        const key = `${c.name}|${server.name}`;
        const entry = figures.get(key) ?? { rps: [], server: [], postgres: [] };
        entry.rps.push(result.rps);
        entry.server.push(((cpuSeconds(pid) - cpu) * 1e6) / requests);
        entry.postgres.push(((postgresCpuSeconds() - postgresCpu) * 1e6) / requests);
        figures.set(key, entry);
      }
    }
  }
} finally {
  await Promise.all(servers.map((server) => stop(server.served.child)));
  await pair.stop();
  for (const root of copies) rmSync(root, { recursive: true, force: true });
}

console.log(
  `\n${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${LOAD_GENERATOR}, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION} s, medians`,
);
console.log('| case | server | req/s | change | CPU µs/request: server, PostgreSQL |');
console.log('|---|---|---|---|---|');
for (const c of CASES) {
  const asBuilt = median(figures.get(`${c.name}|as built`)?.rps ?? []);
  for (const server of servers) {
    const entry = figures.get(`${c.name}|${server.name}`);
    if (!entry) continue;
    const rps = median(entry.rps);
    const change =
      server.name === 'as built' ? '' : `${(((rps - asBuilt) / asBuilt) * 100).toFixed(1)} %`;
    console.log(
      `| ${c.name} | ${server.name} | ${rps.toFixed(0)} | ${change} | ${median(entry.server).toFixed(0)}, ${median(entry.postgres).toFixed(0)} |`,
    );
  }
}

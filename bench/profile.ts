// `npm run bench:profile`: CPU profiles (node --cpu-prof) of the production
// entry point, on a local primary + two standbys: start-up to the first
// authenticated GET /country/US, then under the bench's load (wrk, 32
// connections, PROFILE_DURATION s, default 10) for each case in PROFILE_CASES
// (default: get,replica,post). Prints the ten largest self-time entries of
// each and leaves the .cpuprofile files in PROFILE_DIR (default a temp folder)
// for Chrome DevTools. Then the same self time by owner: each of our files,
// each package, Node's internals, native work. Start-up is profiled on the
// bundle the image runs; the load cases on the modules tsc wrote beside it
// (dist/server/bootstrap.js, what the bundle's entry calls), with the same V8
// flags: in the bundle every frame would be in one file, and it is the same
// code. A load case's tables leave its start-up out.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../dev/freePort.js';
import { startTestPair } from '../test/support/testPair.js';
import { serverArgs, stop, timeToFirst200 } from './startProcess.js';
import { runLoad } from './wrk.js';

const DURATION = Number(process.env.PROFILE_DURATION ?? 10);
const CASES = (process.env.PROFILE_CASES ?? 'get,replica,post').split(',');
const DIR = process.env.PROFILE_DIR ?? mkdtempSync(join(tmpdir(), 'cpu-profiles-'));
const DIST = process.env.PROFILE_DIST ?? 'dist';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

type Frame = ProfileNode['callFrame'];

/**
 * Self time summed by `keyOf` each sample's function, largest first, as table
 * rows; samples in the first `skipUs` of the profile (the start-up) left out.
 */
function selfTime(
  profile: Profile,
  keyOf: (frame: Frame) => string,
  count: number,
  skipUs: number,
): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  let elapsed = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    elapsed += delta;
    const frame = byId.get(id)?.callFrame;
    if (!frame || elapsed < skipUs) return;
    const key = keyOf(frame);
    self.set(key, (self.get(key) ?? 0) + delta);
    total += delta;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([key, us]) =>
        `| ${(us / 1000).toFixed(0)} ms | ${((100 * us) / total).toFixed(1)} % | ${key} |`,
    );
}

/** A function by name, file and line. */
function functionOf(frame: Frame): string {
  const where = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, '');
  return `\`${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}\``;
}

/**
 * Who the self time belongs to: each of our files (dist/…), each npm package,
 * Node's own modules (node:…, the domain the framework wraps every request
 * in apart), and V8/native work without a script (GC, socket writes, idle).
 */
function ownerOf({ url, functionName }: Frame): string {
  if (url === '') return functionName.startsWith('(') ? functionName : 'native (no script)';
  if (url.startsWith('node:domain')) return 'node:domain (the framework wraps each request)';
  if (url.startsWith('node:')) return 'node: internals';
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) return `package ${inPackage[1]}`;
  const ours = /\/dist\/(.*)$/.exec(url);
  return ours ? `ours: ${ours[1]}` : url;
}

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const pair = await startTestPair({ standbys: 2 });
const authorization = `Basic ${Buffer.from(`${pair.env.BASIC_AUTH_USERNAME}:${pair.env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;
const duplicate = JSON.stringify({
  name: 'United States of America',
  two_letter: 'US',
  country_id: 840,
});
const loads: Record<string, { path: string; method?: 'POST'; body?: string; expected?: number }> = {
  get: { path: '/country/US' },
  replica: { path: '/country_replica/US' },
  post: { path: '/country', method: 'POST', body: duplicate, expected: 409 },
};

const bundled = serverArgs(DIST);
const unbundled = [
  ...bundled.slice(0, -1),
  '--input-type=module',
  '--eval',
  `process.env.NODE_ENV ??= 'production'; const { bootstrap } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'server/bootstrap.js')).href)}); await bootstrap(process.env);`,
];

async function profiled(
  name: string,
  args: string[],
  work: ((url: string) => Promise<void>) | undefined,
): Promise<void> {
  const dir = join(DIR, name.split(' ')[0] ?? name);
  const port = await freePort();
  const { child, ms } = await timeToFirst200(
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...args],
    { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env, PORT: String(port) },
    `http://127.0.0.1:${port}/country/US`,
    { authorization },
  );
  await work?.(`http://127.0.0.1:${port}`);
  await stop(child);
  // A load case's table is of the load only: its start-up is left out.
  const skipUs = work ? ms * 1000 : 0;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, file ?? ''), 'utf8')) as Profile;
  console.log(`\n${name} (first 200 after ${ms.toFixed(0)} ms; ${join(dir, file ?? '')})`);
  console.log('| self | share | function |\n|---|---|---|');
  for (const line of selfTime(profile, functionOf, 10, skipUs)) console.log(line);
  console.log('\nby owner:\n| self | share | owner |\n|---|---|---|');
  for (const line of selfTime(profile, ownerOf, 15, skipUs)) console.log(line);
}

try {
  await profiled('start-up', bundled, undefined);
  for (const name of CASES) {
    const load = loads[name];
    if (!load) throw new Error(`unknown case ${name}: one of ${Object.keys(loads).join(', ')}`);
    await profiled(`${name} ${load.method ?? 'GET'} ${load.path}`, unbundled, async (url) => {
      const c = {
        url: `${url}${load.path}`,
        connections: 32,
        headers: {
          authorization,
          ...(load.body ? { 'content-type': 'application/json' } : {}),
        },
        ...load,
      };
      await runLoad({ ...c, durationS: 2 }); // warm-up: JIT, pools, prepared statements
      const result = await runLoad({ ...c, durationS: DURATION });
      console.log(
        `\n${load.method ?? 'GET'} ${load.path}: ${result.rps.toFixed(0)} req/s under the profiler, ${result.errors} unexpected`,
      );
    });
  }
} finally {
  await pair.stop();
}

// `npm run bench:imports`: what each module the server loads at start-up
// costs, each in a fresh process of the production build, as the valibot
// choice was measured (`node -e "await import(…)"`), RUNS times (default 9)
// interleaved, medians. Time and RSS are of the import alone, after the
// start-up module resolution hook main.ts registers; a module's figure
// includes what it imports, so shares overlap: read them as "what loading it
// first would cost". The last rows are the server's own layers, cumulative.
import { execFileSync } from 'node:child_process';
import { median } from './startProcess.js';

const RUNS = Number(process.env.RUNS ?? 9);

const MODULES = [
  'pino',
  'prom-client',
  'valibot',
  '@valibot/to-json-schema',
  'drizzle-valibot',
  'postgres',
  'drizzle-orm',
  'drizzle-orm/postgres-js',
  '@google-cloud/functions-framework/testing',
  '@google-cloud/secret-manager',
  './dist/config/config.js',
  './dist/db/clients.js',
  './dist/functions/index.js',
  './dist/server/service.js',
  './dist/server/bootstrap.js',
];

function measure(specifier: string): { ms: number; mb: number } {
  const script = `
    const { registerFastPackageResolution } = await import('./dist/server/moduleResolution.js');
    registerFastPackageResolution();
    const rss = process.memoryUsage.rss();
    const started = performance.now();
    await import(${JSON.stringify(specifier)});
    const ms = performance.now() - started;
    console.log(JSON.stringify({ ms, mb: (process.memoryUsage.rss() - rss) / 1048576 }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production' },
  });
  return JSON.parse(out.toString());
}

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const results = new Map<string, { ms: number[]; mb: number[] }>(
  MODULES.map((m) => [m, { ms: [], mb: [] }]),
);
for (let run = 0; run < RUNS; run++) {
  for (const specifier of run % 2 ? [...MODULES].reverse() : MODULES) {
    const { ms, mb } = measure(specifier);
    results.get(specifier)?.ms.push(ms);
    results.get(specifier)?.mb.push(mb);
  }
}
console.log(
  `\nnode ${process.version}; each import in a fresh process, ${RUNS} runs interleaved, medians\n`,
);
console.log('| module | import ms | RSS MB |');
console.log('|---|---|---|');
for (const [specifier, { ms, mb }] of results) {
  console.log(`| \`${specifier}\` | ${median(ms).toFixed(0)} | ${median(mb).toFixed(1)} |`);
}

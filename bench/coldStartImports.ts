// `npm run bench:imports`: what each module the server loads at start-up
// costs, each in a fresh process of the production build, as the valibot
// choice was measured (`node -e "await import(…)"`), RUNS times (default 9)
// interleaved, medians. Each is measured twice: bundled alone the way
// dev/bundle.ts bundles the server (what the image pays), and imported from
// node_modules or dist/ through Node's resolver. Time and RSS are of the
// import alone; a module's figure includes what it imports, so shares
// overlap: read them as "what loading it first would cost". The last rows are
// the server's own layers, cumulative.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '../dev/bundle.js';
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
// Inside the project, so that what a bundle leaves outside resolves from node_modules.
const bundles = join('dist', 'import-bundles');
const bundled = new Map<string, string>();
for (const [index, specifier] of MODULES.entries()) {
  const outfile = join(bundles, `${index}.mjs`);
  await build({
    ...BUNDLE_OPTIONS,
    // Used, not only imported: a package marked free of side effects would be left out.
    stdin: {
      contents: `import * as loaded from ${JSON.stringify(specifier)}; globalThis.loaded = loaded;`,
      resolveDir: process.cwd(),
    },
    outfile,
  });
  bundled.set(specifier, resolve(outfile));
}
type Figures = { ms: number[]; mb: number[] };
const results = new Map<string, { bundled: Figures; resolved: Figures }>(
  MODULES.map((m) => [m, { bundled: { ms: [], mb: [] }, resolved: { ms: [], mb: [] } }]),
);
const record = (figures: Figures, { ms, mb }: { ms: number; mb: number }) => {
  figures.ms.push(ms);
  figures.mb.push(mb);
};
for (let run = 0; run < RUNS; run++) {
  for (const specifier of run % 2 ? [...MODULES].reverse() : MODULES) {
    const figures = results.get(specifier);
    if (!figures) continue;
    record(figures.bundled, measure(bundled.get(specifier) ?? ''));
    record(figures.resolved, measure(specifier));
  }
}
console.log(
  `\nnode ${process.version}; each import in a fresh process, ${RUNS} runs interleaved, medians\n`,
);
console.log('| module | bundled: ms | RSS MB | resolved by Node: ms | RSS MB |');
console.log('|---|---|---|---|---|');
const cells = ({ ms, mb }: Figures) => `${median(ms).toFixed(0)} | ${median(mb).toFixed(1)}`;
for (const [specifier, figures] of results) {
  console.log(`| \`${specifier}\` | ${cells(figures.bundled)} | ${cells(figures.resolved)} |`);
}

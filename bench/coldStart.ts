// `npm run bench:cold-start`: process start → first 200 on an authenticated
// GET /country/US from the compiled server (the container's command), with
// secrets from a Secret Manager-compatible server and with plain env, beside
// the Functions Framework hello world. Prints medians of RUNS runs (default 10).
import { execFileSync } from 'node:child_process';
import { startTestPair } from '../test/support/testPair.js';
import { measureColdStarts } from './coldStartCases.js';
import { median } from './startProcess.js';

const RUNS = Number(process.env.RUNS ?? 10);

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const pair = await startTestPair();
const results = await measureColdStarts(pair, RUNS);
await pair.stop();

const baseline = median(results[0]?.runs ?? []);
console.log(
  `\ncold start to first 200, ${RUNS} runs each (node ${process.version}, ${new Date().toISOString().slice(0, 10)})`,
);
console.log('| case | median ms | min ms | max ms | × hello world |');
console.log('|---|---|---|---|---|');
for (const { name, runs } of results) {
  const m = median(runs);
  console.log(
    `| ${name} | ${m.toFixed(0)} | ${Math.min(...runs).toFixed(0)} | ${Math.max(...runs).toFixed(0)} | ${(m / baseline).toFixed(2)} |`,
  );
}

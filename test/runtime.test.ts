import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pinnedNodePrefix, pinnedNpmVersion, readDockerfile } from './support/image.js';
import { ROOT } from './support/process.js';

// One Node.js everywhere: .node-version is the pin; engines, the image's
// bases, every Node step of Cloud Build and the tests themselves follow it,
// and the lock file is one that the pinned npm accepts.

const run = promisify(execFile);
const pinned = readFileSync(join(ROOT, '.node-version'), 'utf8').trim();
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const cloudbuild = parse(readFileSync(join(ROOT, 'cloudbuild.yaml'), 'utf8')) as {
  steps: { id: string; name: string }[];
};

describe('the pinned Node.js', () => {
  it('is a 24.x LTS release, and engines names exactly it', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(packageJson.engines.node).toBe(pinned);
    expect(packageJson.devDependencies['@types/node']?.split('.')[0]).toBe(pinned.split('.')[0]);
  });

  it('runs these tests', () => {
    expect(process.version).toBe(`v${pinned}`);
  });

  it('is every base image of the Dockerfile, on one Debian release', () => {
    const dockerfile = readDockerfile();
    expect(dockerfile.bases.length).toBeGreaterThanOrEqual(2);
    for (const base of dockerfile.bases)
      expect(base).toBe(`node:${pinned}-${dockerfile.debian}-slim`);
  });

  it('is the image of every Node step of cloudbuild.yaml', () => {
    const nodeSteps = cloudbuild.steps.filter((step) => step.name.startsWith('node:'));
    expect(nodeSteps.map((step) => step.id)).toEqual([
      'install',
      'lint',
      'typecheck',
      'test',
      'synthetic-check',
    ]);
    for (const step of nodeSteps) expect(step.name, step.id).toBe(`node:${pinned}-bookworm`);
  });
});

describe('the lock file', () => {
  /** `npm ci --dry-run` with the pinned npm: it checks the lock file against package.json and installs nothing. */
  async function pinnedNpmCi(lock: string): Promise<{ ok: boolean; output: string }> {
    const folder = await mkdtemp(join(tmpdir(), 'lock-'));
    try {
      await cp(join(ROOT, 'package.json'), join(folder, 'package.json'));
      await writeFile(join(folder, 'package-lock.json'), lock);
      const npm = join(pinnedNodePrefix(), 'bin', 'npm');
      const { stdout, stderr } = await run(npm, ['ci', '--dry-run', '--ignore-scripts'], {
        cwd: folder,
        env: { ...process.env, PATH: `${join(pinnedNodePrefix(), 'bin')}:${process.env.PATH}` },
      });
      return { ok: true, output: stdout + stderr };
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      return { ok: false, output: stdout + stderr };
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  it(`is accepted by npm ${pinnedNpmVersion()}, the npm of the pinned Node, and a stale one is not`, async () => {
    const lock = await readFile(join(ROOT, 'package-lock.json'), 'utf8');
    const accepted = await pinnedNpmCi(lock);
    expect(accepted.ok, accepted.output).toBe(true);

    // The same check refuses a lock file missing an entry (what npm 10 reported of the old one).
    const parsed = JSON.parse(lock) as { packages: Record<string, unknown> };
    const dropped = Object.keys(parsed.packages).find((key) =>
      key.endsWith('node_modules/esbuild'),
    );
    expect(dropped).toBeDefined();
    delete parsed.packages[dropped ?? ''];
    const refused = await pinnedNpmCi(JSON.stringify(parsed, null, 2));
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(/npm ci|lock file/i);
  }, 60_000);
});

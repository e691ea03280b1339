import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pinnedNodePrefix } from './support/image.js';
import { ROOT } from './support/process.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

interface Step {
  id: string;
  name: string;
  args?: string[];
  entrypoint?: string;
  env?: string[];
  secretEnv?: string[];
}
interface Build {
  substitutions: Record<string, string>;
  steps: Step[];
  availableSecrets?: { secretManager: { versionName: string; env: string }[] };
}

const text = readFileSync(join(ROOT, 'cloudbuild.yaml'), 'utf8');
const build = parse(text) as Build;
const ids = build.steps.map((step) => step.id);
const stepText = (id: string) => JSON.stringify(build.steps.find((step) => step.id === id));
const expectBefore = (a: string, b: string) =>
  expect(ids.indexOf(a), `${a} before ${b}`).toBeLessThan(ids.indexOf(b));

// Cloud Build substitutes $NAME and ${NAME} itself; shell variables must be $$NAME.
const BUILT_IN = [
  'PROJECT_ID',
  'SHORT_SHA',
  'COMMIT_SHA',
  'BUILD_ID',
  'BRANCH_NAME',
  'TAG_NAME',
  'REVISION_ID',
];

describe('cloudbuild.yaml', () => {
  it('lints, typechecks and runs the full test suite before it builds the image', () => {
    expect(ids.slice(0, 4)).toEqual(['install', 'lint', 'typecheck', 'test']);
    expect(stepText('test')).toContain('vitest');
    // The live page's browser test needs a Chromium the node image lacks.
    expect(stepText('test')).toMatch(/apt-get install[^"]*chromium[\s\S]*vitest/);
    expectBefore('test', 'build-image');
    // test/e2e/image.test.ts says why it skips there; build-image builds the image.
    expect(build.steps.find((step) => step.id === 'test')?.env).toEqual([
      'PG_REPLICA_SKIP_IMAGE_BUILD=Cloud Build builds the image in its build-image step',
    ]);
  });

  it('pushes to Artifact Registry, never Container Registry, under substituted names', () => {
    // Cloud Build's own substitution syntax, not a template literal.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitutions
    const image = '${_REGION}-docker.pkg.dev/$PROJECT_ID/${_REPOSITORY}/${_IMAGE}:$SHORT_SHA';
    expect(stepText('build-image')).toContain(image);
    expect(stepText('push-image')).toContain(image);
    expect(text).not.toMatch(/gcr\.io\/\$PROJECT_ID|[^-]gcr\.io\/\$\{?_/);
  });

  it('migrates, deploys a tagged revision with no traffic, checks it, and only then moves traffic', () => {
    expectBefore('push-image', 'migrate');
    expect(stepText('migrate')).toMatch(/jobs execute \$\{_MIGRATE_JOB\}.*--wait/);
    expectBefore('migrate', 'deploy-no-traffic');
    expect(stepText('deploy-no-traffic')).toContain('--no-traffic --tag=build-$SHORT_SHA');
    expectBefore('deploy-no-traffic', 'synthetic-check');
    expect(stepText('synthetic-check')).toContain('npm run synthetic -- --url');
    expectBefore('synthetic-check', 'move-traffic');
    expect(ids.at(-1)).toBe('move-traffic');
    expect(stepText('move-traffic')).toContain('--to-tags=build-$SHORT_SHA=100');
  });

  it('gives the synthetic check its credentials from Secret Manager, not from the file', () => {
    expect(build.steps.find((step) => step.id === 'synthetic-check')?.secretEnv).toEqual([
      'SYNTHETIC_USER',
      'SYNTHETIC_PASSWORD',
    ]);
    for (const secret of build.availableSecrets?.secretManager ?? []) {
      expect(secret.versionName).toMatch(
        /^projects\/\$PROJECT_ID\/secrets\/\$\{_[A-Z_]+\}\/versions\/latest$/,
      );
    }
  });

  it('hard-codes no project and escapes every shell variable', () => {
    expect(text).not.toMatch(/projects\/(?!\$PROJECT_ID)/);
    for (const name of [
      '_REGION',
      '_REPOSITORY',
      '_API_SERVICE',
      '_CHECK_SERVICE',
      '_MIGRATE_JOB',
    ]) {
      expect(build.substitutions).toHaveProperty(name);
    }
    const used = [...text.matchAll(/(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map(
      (match) => match[1] ?? '',
    );
    const unknown = used.filter(
      (name) => !BUILT_IN.includes(name) && !(name in build.substitutions),
    );
    expect(unknown).toEqual([]);
  });
});

// The Node steps as Cloud Build runs them: each step's command, in a copy of
// the source, on the Node its image names (the pinned one, which
// dev/use-node.sh provides). The test step is this suite itself, which
// .ci/run runs on that Node, so it is not run again here.
describe('the Node steps of cloudbuild.yaml, run', () => {
  const run = promisify(execFile);
  const pinned = readFileSync(join(ROOT, '.node-version'), 'utf8').trim();
  let source: string;
  let pair: TestPair;

  /** Runs a step's entrypoint and arguments in the source copy, with Cloud Build's `$$` unescaped. */
  async function runStep(id: string, env: Record<string, string> = {}) {
    const step = build.steps.find((candidate) => candidate.id === id);
    if (!step) throw new Error(`no step ${id}`);
    const version = /^node:(\d+\.\d+\.\d+)-bookworm$/.exec(step.name)?.[1];
    // dev/use-node.sh serves exactly one version: a step on another Node cannot run here.
    expect(version, `${id} runs on ${step.name}`).toBe(pinned);
    const args = (step.args ?? []).map((arg) =>
      arg.replaceAll('$$', '$').replaceAll('/workspace/', `${source}/`),
    );
    const bin = join(pinnedNodePrefix(), 'bin');
    const { stdout, stderr } = await run(step.entrypoint ?? 'npm', args, {
      cwd: source,
      env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout + stderr;
  }

  beforeAll(async () => {
    // The source Cloud Build receives: every file git tracks or would track.
    source = await mkdtemp(join(tmpdir(), 'cloudbuild-source-'));
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    execFileSync(
      'sh',
      ['-c', `tar -C "$1" --null -T - -cf - | tar -C "$2" -xf -`, 'sh', ROOT, source],
      {
        input: files,
      },
    );
    pair = await startTestPair();
  }, 120_000);
  afterAll(async () => {
    await pair?.stop();
    if (source) await rm(source, { recursive: true, force: true });
  });

  it('install, lint and typecheck pass on the Node and npm of their image', async () => {
    const installed = await runStep('install');
    expect(installed).toMatch(/added \d+ packages/);
    await runStep('lint');
    await runStep('typecheck');
  }, 300_000);

  it('the synthetic check passes against a candidate revision', async () => {
    const service = await startTestService(pair.env);
    try {
      await writeFile(join(source, 'candidate-url'), `${service.url}\n`);
      const output = await runStep('synthetic-check', {
        SYNTHETIC_USER: pair.env.BASIC_AUTH_USERNAME ?? '',
        SYNTHETIC_PASSWORD: pair.env.BASIC_AUTH_PASSWORD ?? '',
      });
      expect(output).toContain('synthetic check passed');
    } finally {
      await service.close();
    }
  }, 120_000);
});

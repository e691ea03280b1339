import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/process.js';

interface Step {
  id: string;
  name: string;
  args?: string[];
  entrypoint?: string;
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

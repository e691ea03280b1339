import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './process.js';

// The project's Dockerfile, built by a real OCI builder (Debian's buildah, as
// root: vfs storage, chroot isolation) on a local stand-in for its base tag,
// since no registry serving node:* images is reachable here.

const run = promisify(execFile);

/** buildah's own storage for these tests, apart from any other use of buildah on the machine. */
const STORAGE = '/var/lib/pg-replica-functions/containers';
const GLOBAL = ['--root', STORAGE, '--runroot', '/run/pg-replica-functions-containers'];
const STANDIN_KEY_LABEL = 'pg-replica-functions.standin-key';
const DEBIAN_MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

export const IMAGE_TAG = 'localhost/pg-replica-functions:test';

/**
 * patches/postgres+3.4.9.patch's two changes as esbuild prints them: a bundle
 * holding both leaks neither (the leaks themselves are tested on the installed
 * package).
 */
export const POSTGRES_PATCHES = {
  /** The origin getter (unpatched: `this.tagged &&`) keeps nothing for a failed unsafe() query: test/failedWriteHeap.test.ts. */
  origin: '!this.tagged ? "" :',
  /** The idle-connection queue drops its holes: test/idleConnectionHeap.test.ts. */
  queue: 'xs = xs.slice(',
};

export function buildah(args: string[], timeoutMs = 600_000): Promise<string> {
  return run('buildah', [...GLOBAL, ...args], {
    env: { ...process.env, STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'chroot' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMs,
  }).then(({ stdout }) => stdout);
}

export interface ImageConfig {
  User?: string;
  Cmd?: string[];
  Env?: string[];
  Labels?: Record<string, string>;
}

/** An image's or a working container's OCI config (buildah 1.28's templates have no `json`). */
export async function imageConfig(name: string, type: 'image' | 'container' = 'image') {
  const inspected = JSON.parse(await buildah(['inspect', '--type', type, name])) as {
    OCIv1: { config: ImageConfig };
  };
  return inspected.OCIv1.config;
}

/** Why the image cannot be built here, or undefined when it can. */
export function imageBuildUnavailable(): string | undefined {
  if (process.env.PG_REPLICA_SKIP_IMAGE_BUILD) {
    return `skipped: ${process.env.PG_REPLICA_SKIP_IMAGE_BUILD}`;
  }
  const missing = ['buildah', 'debootstrap'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    // Not a skip: .ci/run installs both, so a missing one is a broken set-up.
    throw new Error(
      `${missing.join(' and ')} not installed (apt-get install buildah debootstrap), or set PG_REPLICA_SKIP_IMAGE_BUILD=<reason>`,
    );
  }
  if (process.getuid?.() !== 0) return 'skipped: buildah with chroot isolation needs root';
  return undefined;
}

export interface Dockerfile {
  text: string;
  /** Every `FROM` image, in order. */
  bases: string[];
  /** `node:<version>-<debian>-slim` parts of the base tag. */
  node: string;
  debian: string;
  /** Folders and files the build stage copies from the context. */
  copied: string[];
  cmd: string[];
}

export function readDockerfile(): Dockerfile {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const bases = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1] ?? '');
  const tag = /^node:(\d+\.\d+\.\d+)-([a-z]+)-slim$/.exec(bases[0] ?? '');
  const copied = [...text.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((match) => {
    const parts = (match[1] ?? '').trim().split(/\s+/);
    return parts.slice(0, -1).map((part) => part.replace(/^\.\//, '').replace(/\/$/, ''));
  });
  return {
    text,
    bases,
    node: tag?.[1] ?? '',
    debian: tag?.[2] ?? '',
    copied,
    cmd: JSON.parse(/^CMD (\[.*\])$/m.exec(text)?.[1] ?? '[]') as string[],
  };
}

/** The pinned Node's install prefix (bin/node, lib/node_modules/npm), fetched by dev/use-node.sh. */
export function pinnedNodePrefix(): string {
  const script = join(ROOT, 'dev', 'use-node.sh');
  const node = execFileSync(script, ['sh', '-c', 'command -v node'], { encoding: 'utf8' }).trim();
  return join(node, '..', '..');
}

export function pinnedNpmVersion(): string {
  const script = readFileSync(join(ROOT, 'dev', 'use-node.sh'), 'utf8');
  return /^NPM_VERSION=(\S+)$/m.exec(script)?.[1] ?? '';
}

/** The CA file this machine's npm trusts (a proxy's CA here); a real build does not need it. */
function npmCaFile(): string | undefined {
  const file = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).trim();
  return file && file !== 'null' && file !== 'undefined' && existsSync(file) ? file : undefined;
}

/**
 * Builds, once per set of inputs, a local image under the official base tag:
 * debootstrap (minbase) of the same Debian release, the same Node binary, the
 * pinned npm, the `node` user (uid 1000). Returns the tag.
 */
export async function ensureBaseImage(dockerfile: Dockerfile): Promise<string> {
  const tag = `docker.io/library/${dockerfile.bases[0]}`;
  const prefix = pinnedNodePrefix();
  const npmVersion = pinnedNpmVersion();
  const caFile = npmCaFile();
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        debian: dockerfile.debian,
        mirror: DEBIAN_MIRROR,
        node: createHash('sha256')
          .update(readFileSync(join(prefix, 'bin', 'node')))
          .digest('hex'),
        npmVersion,
        ca: caFile ? readFileSync(caFile, 'utf8') : '',
        recipe: 1,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const existing = await imageConfig(tag).catch(() => undefined);
  if (existing?.Labels?.[STANDIN_KEY_LABEL] === key) return tag;

  const rootfs = join(STORAGE, '..', `standin-${key}`);
  await rm(rootfs, { recursive: true, force: true });
  await mkdir(rootfs, { recursive: true });
  // The downloaded packages are kept: a changed key need not fetch them again.
  const debs = join(STORAGE, '..', 'debootstrap-cache');
  await mkdir(debs, { recursive: true });
  await run(
    'debootstrap',
    ['--variant=minbase', `--cache-dir=${debs}`, dockerfile.debian, rootfs, DEBIAN_MIRROR],
    { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
  );
  await cp(join(prefix, 'bin', 'node'), join(rootfs, 'usr/local/bin/node'));
  await cp(
    join(prefix, 'lib', 'node_modules', 'npm'),
    join(rootfs, 'usr/local/lib/node_modules/npm'),
    { recursive: true },
  );
  const env: string[] = [];
  if (caFile) {
    await cp(caFile, join(rootfs, 'usr/local/share/npm-build-ca.pem'));
    env.push('--env', 'NPM_CONFIG_CAFILE=/usr/local/share/npm-build-ca.pem');
  }
  const inRoot = (script: string) => run('chroot', [rootfs, 'sh', '-euc', script]);
  await inRoot(
    [
      'ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm',
      'ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx',
      'groupadd --gid 1000 node',
      'useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
      'apt-get clean',
      'rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/*.log',
    ].join('\n'),
  );
  const container = (await buildah(['from', 'scratch'])).trim();
  try {
    const mount = (await buildah(['mount', container])).trim();
    await run('cp', ['-a', `${rootfs}/.`, mount]);
    await buildah([
      'config',
      '--env',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--env',
      `NODE_VERSION=${dockerfile.node}`,
      ...env,
      '--cmd',
      'node',
      '--label',
      `${STANDIN_KEY_LABEL}=${key}`,
      container,
    ]);
    await buildah(['commit', '--rm', container, tag]);
  } catch (error) {
    await buildah(['rm', container]).catch(() => {});
    throw error;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
  return tag;
}

/** `docker build` of the project, as cloudbuild.yaml's build-image step does it: the Dockerfile, context `.`. */
export async function buildImage(contextArgs: string[]): Promise<string> {
  await buildah(['bud', '--pull-never', '--layers', '--tag', IMAGE_TAG, ...contextArgs], 900_000);
  return IMAGE_TAG;
}

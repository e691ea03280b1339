import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDockerfile } from './support/image.js';
import { ROOT } from './support/process.js';

// Imports run one way: a module imports its own folder or those to its left.
// The logger is a leaf every layer may import, and it imports nothing of ours.
const LAYERS = ['config', 'secrets', 'db', 'replication', 'http', 'functions', 'server'];
const LEAVES = ['log'];

const IMPORT =
  /^\s*(?:import|export)\b[^;()`]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file));
}

/** Every import of one of our folders, as `from → folder`. */
function importsOf(file: string): { file: string; folder: string; specifier: string }[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)]
    .map((match) => match[1] ?? match[2] ?? match[3] ?? '')
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => {
      const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
      return { file, folder: target.split('/')[0] ?? '', specifier };
    });
}

const rank = (folder: string) => LAYERS.indexOf(folder);

describe('the import direction', () => {
  const files = [...LAYERS, ...LEAVES].flatMap(sources);

  it('reads the imports it checks', () => {
    // The check itself must see imports, in every layer.
    expect(importsOf('server/service.ts').map((i) => i.folder)).toContain('functions');
    for (const layer of LAYERS) expect(sources(layer).length, layer).toBeGreaterThan(0);
  });

  it('runs config → secrets → db → replication → http → functions → server', () => {
    const upward = files
      .filter((file) => !LEAVES.includes(file.split('/')[0] ?? ''))
      .flatMap(importsOf)
      .filter(({ file, folder }) => {
        if (LEAVES.includes(folder)) return false;
        return rank(folder) < 0 || rank(folder) > rank(file.split('/')[0] ?? '');
      })
      .map(({ file, specifier }) => `${file} → ${specifier}`);
    expect(upward).toEqual([]);
  });

  it('keeps the logger a leaf', () => {
    const ours = LEAVES.flatMap(sources)
      .flatMap(importsOf)
      .filter(({ file, folder }) => folder !== file.split('/')[0])
      .map(({ file, specifier }) => `${file} → ${specifier}`);
    expect(ours).toEqual([]);
  });
});

describe('the image build', () => {
  // The Dockerfile compiles only what it copies: an import of a folder it does
  // not copy fails the image build (TS2307) but never the local build.
  it('copies every folder the entry points import, transitively', () => {
    const copied = new Set(readDockerfile().copied);
    const seen = new Set<string>();
    const queue = ['server/main.ts', 'server/migrateMain.ts'];
    const outside: string[] = [];
    while (queue.length > 0) {
      const file = queue.pop() ?? '';
      if (seen.has(file)) continue;
      seen.add(file);
      for (const { folder, specifier } of importsOf(file)) {
        const target = relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(
          /\.js$/,
          '.ts',
        );
        if (!copied.has(folder)) outside.push(`${file} → ${specifier} (${folder}/ is not copied)`);
        else if (target.endsWith('.ts')) queue.push(target);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(outside).toEqual([]);
  });

  it('compiles exactly the runtime folders it copies', () => {
    const { include } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const copiedFolders = readDockerfile().copied.filter(
      (entry) => !entry.includes('.') && entry !== 'drizzle',
    );
    expect([...include].sort()).toEqual([...copiedFolders].sort());
    expect([...include].sort()).toEqual([...LAYERS, ...LEAVES].sort());
  });
});

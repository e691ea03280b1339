// terraform/ as the tests read it: every .tf file parsed offline by
// @cdktf/hcl2json (loaded once, when a test file imports this), and the
// queries the tests make of it (resources, variables, outputs, locals,
// module calls), with the evaluator of ./hcl.ts for what needs a value.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  type Block,
  blocks,
  expandBlock,
  type HclScope,
  type HclValue,
  hclValue,
  type Instance,
  instancesOf,
  isBlock,
  META_ARGUMENTS,
  map,
} from './hcl.js';

export const TERRAFORM_DIR = fileURLToPath(new URL('../../terraform/', import.meta.url));

export const README = path.join(TERRAFORM_DIR, 'README.md');

export interface TfFile {
  /** Path relative to terraform/. */
  file: string;
  /** '' for the root module, else the module's folder name. */
  module: string;
  text: string;
  json: Block;
}

export interface Resource {
  module: string;
  file: string;
  type: string;
  name: string;
  body: Block;
}

function tfFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith('.') ? [] : tfFiles(full);
    return entry.name.endsWith('.tf') ? [full] : [];
  });
}

function moduleOf(relative: string): string {
  const parts = relative.split(path.sep);
  return parts[0] === 'modules' && parts.length > 2 ? (parts[1] ?? '') : '';
}

/**
 * Every .tf file under terraform/, parsed. Each test file imports this, and
 * parsing them all takes seconds: the parse is kept in the temporary folder,
 * under a hash of every file's name and text and of the parser's version,
 * and parsed again only when one of those changes.
 */
async function parseAll(): Promise<TfFile[]> {
  const sources = tfFiles(TERRAFORM_DIR).map((full) => {
    const file = path.relative(TERRAFORM_DIR, full);
    return { file, module: moduleOf(file), text: readFileSync(full, 'utf8') };
  });
  const parser = readFileSync(
    fileURLToPath(import.meta.resolve('@cdktf/hcl2json/package.json')),
    'utf8',
  );
  const hash = createHash('sha256').update(parser);
  for (const { file, text } of sources) hash.update(`${file}\0${text}\0`);
  const cache = path.join(tmpdir(), `pg-replica-hcl2json-${hash.digest('hex').slice(0, 24)}.json`);
  try {
    const json = JSON.parse(readFileSync(cache, 'utf8')) as Block[];
    if (json.length === sources.length)
      return sources.map((s, i) => ({ ...s, json: json[i] ?? {} }));
  } catch {
    // Not parsed yet.
  }
  const { parse } = await import('@cdktf/hcl2json');
  const parsed = await Promise.all(
    sources.map(async (s) => ({ ...s, json: (await parse(s.file, s.text)) as Block })),
  );
  // Written whole, then renamed: a test file reading it meanwhile sees none or all of it.
  const partial = `${cache}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(parsed.map((f) => f.json)));
  renameSync(partial, cache);
  // The parses of earlier versions of terraform/ are no longer read.
  for (const name of readdirSync(tmpdir())) {
    if (/^pg-replica-hcl2json-\w+\.json$/.test(name) && name !== path.basename(cache)) {
      rmSync(path.join(tmpdir(), name), { force: true });
    }
  }
  return parsed;
}

export const files: TfFile[] = await parseAll();

/** The single block under `key`; fails the test if there is not exactly one. */
export function only(body: Block, key: string): Block {
  const found = blocks(body, key);
  expect(found, `one ${key} block`).toHaveLength(1);
  return found[0] as Block;
}

/** Blocks of `key` written either directly or as `dynamic "key" { content { … } }`. */
export function blocksOrDynamic(body: Block, key: string): Block[] {
  const dynamic = blocks(map(body, 'dynamic'), key);
  return [...blocks(body, key), ...dynamic.flatMap((d) => blocks(d, 'content'))];
}

export function jsonOf(module: string): Block[] {
  return files.filter((f) => f.module === module).map((f) => f.json);
}

export function resources(type?: string | RegExp): Resource[] {
  return files.flatMap(({ module, file, json }) =>
    Object.entries(map(json, 'resource')).flatMap(([resourceType, named]) => {
      const matches =
        type === undefined ||
        (typeof type === 'string' ? resourceType === type : type.test(resourceType));
      if (!matches || !isBlock(named)) return [];
      return Object.entries(named).flatMap(([name, bodies]) =>
        (Array.isArray(bodies) ? bodies.filter(isBlock) : []).map((body) => ({
          module,
          file,
          type: resourceType,
          name,
          body,
        })),
      );
    }),
  );
}

export function resource(module: string, type: string, name: string): Block {
  const found = resources(type).filter((r) => r.module === module && r.name === name);
  expect(found, `${module || 'root'}: ${type}.${name}`).toHaveLength(1);
  return (found[0] as Resource).body;
}

/** Resources and data sources of every module: the types whose API calls need an enabled API. */
export interface Declared {
  module: string;
  kind: 'resource' | 'data';
  type: string;
  name: string;
  body: Block;
}

export function declared(): Declared[] {
  return files.flatMap(({ module, json }) =>
    (['resource', 'data'] as const).flatMap((kind) =>
      Object.entries(map(json, kind)).flatMap(([type, named]) =>
        Object.entries(isBlock(named) ? named : {}).flatMap(([name, bodies]) =>
          (Array.isArray(bodies) ? bodies.filter(isBlock) : []).map((body) => ({
            module,
            kind,
            type,
            name,
            body,
          })),
        ),
      ),
    ),
  );
}

function named(module: string, kind: 'variable' | 'output' | 'module'): Map<string, Block> {
  const result = new Map<string, Block>();
  for (const json of jsonOf(module)) {
    for (const [name, bodies] of Object.entries(map(json, kind))) {
      const body = Array.isArray(bodies) ? bodies.find(isBlock) : undefined;
      if (body) result.set(name, body);
    }
  }
  return result;
}

export function variables(module: string): Map<string, Block> {
  return named(module, 'variable');
}

export function outputs(module: string): Map<string, Block> {
  return named(module, 'output');
}

/** The root module's `module` blocks, by name. */
export function moduleCalls(): Map<string, Block> {
  return named('', 'module');
}

export function locals(module: string): Block {
  return Object.assign({}, ...jsonOf(module).flatMap((json) => blocks(json, 'locals')));
}

export function moduleNames(): string[] {
  return [...new Set(files.map((f) => f.module))];
}

/** The moved blocks of a module. */
export function movedBlocks(module: string): Block[] {
  return jsonOf(module).flatMap((json) => blocks(json, 'moved'));
}

export function defaultOf(name: string): unknown {
  return variables('').get(name)?.default;
}

export function numberDefault(name: string): number {
  const value = defaultOf(name);
  expect(typeof value, `${name} has a number default`).toBe('number');
  return value as number;
}

/** The README's terraform.tfvars example: the ```hcl block that starts with `# terraform.tfvars`. */
export function readmeExample(): string {
  const match = readFileSync(README, 'utf8').match(/```hcl\n(# terraform\.tfvars\n[\s\S]*?)```/);
  expect(match, 'README has a ```hcl block starting with "# terraform.tfvars"').not.toBeNull();
  return match?.[1] ?? '';
}

/** A module's scope: its locals, and `vars` for var.X (any other variable stays a reference). */
export function scopeOf(module: string, vars: Record<string, HclValue> = {}): HclScope {
  return { locals: locals(module), vars };
}

/** Evaluates a number (timeouts, buckets) in one module, with `vars` for var.X. */
export function evaluate(value: unknown, module: string, vars: Record<string, number>): number {
  const result = hclValue(value, scopeOf(module, vars));
  if (typeof result !== 'number') throw new Error(`${String(value)} is not a number`);
  return result;
}

/** The root variables' number defaults, with some replaced. */
export function rootNumbers(overrides: Record<string, number> = {}): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [name, body] of variables('')) {
    if (typeof body.default === 'number') values[name] = body.default;
  }
  return { ...values, ...overrides };
}

/** One instance of a resource as the provider gets it: arguments evaluated, blocks expanded. */
export interface ExpandedInstance {
  /** `type.name`, with `["key"]` or `[index]` for an instance of for_each or count. */
  address: string;
  name: string;
  key: string | undefined;
  names: Instance['names'];
  /** The arguments and blocks, meta-arguments left out. */
  body: Block;
}

/** The instances of a module's resources of one type, expanded (see expandBlock). */
export function expandedInstances(
  module: string,
  type: string,
  scope: HclScope = scopeOf(module),
): ExpandedInstance[] {
  return resources(type)
    .filter((r) => r.module === module)
    .flatMap(({ name, body }) =>
      instancesOf(body, scope, `${type}.${name}`).map(({ key, names }) => ({
        address: `${type}.${name}${
          key === undefined ? '' : body.count !== undefined ? `[${key}]` : `["${key}"]`
        }`,
        name,
        key,
        names,
        body: expandBlock(body, scope, names, META_ARGUMENTS),
      })),
    );
}

/**
 * Asserts that every moved block of a module names a target that exists
 * (a move to nothing would plan a destroy), and that nothing outside the
 * moved blocks still refers to a source. Returns the moves as [from, to].
 */
export function checkMoves(module: string, scope: HclScope = scopeOf(module)): [string, string][] {
  const moves = movedBlocks(module).map(
    (block) => [String(block.from), String(block.to)] as [string, string],
  );
  const address = /^\$\{(\w+)\.(\w+)(?:\[(?:"([^"]+)"|(\d+))\])?\}$/;
  for (const [from, to] of moves) {
    const target = to.match(address);
    expect(target, to).not.toBeNull();
    const found = resources(target?.[1] ?? '').filter(
      (r) => r.module === module && r.name === target?.[2],
    );
    expect(found, `${to} is defined`).toHaveLength(1);
    const key = target?.[3] ?? target?.[4];
    const keys = instancesOf((found[0] as Resource).body, scope, to).map((i) => i.key);
    expect(keys, `${to} is an instance`).toContain(key);
    expect(from, `${from} is an address`).toMatch(address);
  }
  // The sources, as written outside `moved` (an old instance [0] by its resource).
  const sources = moves.map(([from]) => from.slice(2, -1).replace(/\[.*\]$/, ''));
  for (const { file, text } of files.filter((f) => f.module === module)) {
    const outsideMoved = text.replace(/^moved \{[\s\S]*?^\}/gm, '');
    for (const source of sources) {
      expect(outsideMoved, `${file} refers to ${source}`).not.toMatch(
        new RegExp(`${source.replace('.', '\\.')}\\b`),
      );
    }
  }
  return moves;
}

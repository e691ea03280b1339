// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// Structural checks of terraform/: nothing here can be applied, so the rules
// that keep Postgres private and the services wired are asserted on the
// parsed HCL (@cdktf/hcl2json and @cdktf/hcl-tools run offline, from npm).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from '@cdktf/hcl-tools';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/config.js';
import { FAILURE_TYPES } from '../replication/failures.js';

const TERRAFORM_DIR = fileURLToPath(new URL('../terraform/', import.meta.url));

type Block = Record<string, unknown>;

interface TfFile {
  /** Path relative to terraform/. */
  file: string;
  /** '' for the root module, else the module's folder name. */
  module: string;
  text: string;
  json: Block;
}

interface Resource {
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

function isBlock(value: unknown): value is Block {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The blocks under `key` (hcl2json gives every nested block as an array). */
function blocks(body: Block, key: string): Block[] {
  const value = body[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${key} is not a block list`);
  return value.filter(isBlock);
}

/** The single block under `key`; fails the test if there is not exactly one. */
function only(body: Block, key: string): Block {
  const found = blocks(body, key);
  expect(found, `one ${key} block`).toHaveLength(1);
  return found[0] as Block;
}

/** A map attribute (e.g. annotations) or an object literal. */
function map(body: Block, key: string): Block {
  const value = body[key];
  return isBlock(value) ? value : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Blocks of `key` written either directly or as `dynamic "key" { content { … } }`. */
function blocksOrDynamic(body: Block, key: string): Block[] {
  const dynamic = blocks(map(body, 'dynamic'), key);
  return [...blocks(body, key), ...dynamic.flatMap((d) => blocks(d, 'content'))];
}

/** HCL string literal (as written between quotes) → its value. */
function hclString(literal: string): string {
  return JSON.parse(`"${literal}"`) as string;
}

let files: TfFile[] = [];

function jsonOf(module: string): Block[] {
  return files.filter((f) => f.module === module).map((f) => f.json);
}

function resources(type?: string | RegExp): Resource[] {
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

function resource(module: string, type: string, name: string): Block {
  const found = resources(type).filter((r) => r.module === module && r.name === name);
  expect(found, `${module || 'root'}: ${type}.${name}`).toHaveLength(1);
  return (found[0] as Resource).body;
}

function variables(module: string): Map<string, Block> {
  const result = new Map<string, Block>();
  for (const json of jsonOf(module)) {
    for (const [name, bodies] of Object.entries(map(json, 'variable'))) {
      const body = Array.isArray(bodies) ? bodies.find(isBlock) : undefined;
      if (body) result.set(name, body);
    }
  }
  return result;
}

function outputs(module: string): Map<string, Block> {
  const result = new Map<string, Block>();
  for (const json of jsonOf(module)) {
    for (const [name, bodies] of Object.entries(map(json, 'output'))) {
      const body = Array.isArray(bodies) ? bodies.find(isBlock) : undefined;
      if (body) result.set(name, body);
    }
  }
  return result;
}

function locals(module: string): Block {
  return Object.assign({}, ...jsonOf(module).flatMap((json) => blocks(json, 'locals')));
}

function moduleCalls(): Map<string, Block> {
  const result = new Map<string, Block>();
  for (const json of jsonOf('')) {
    for (const [name, bodies] of Object.entries(map(json, 'module'))) {
      const body = Array.isArray(bodies) ? bodies.find(isBlock) : undefined;
      if (body) result.set(name, body);
    }
  }
  return result;
}

function moduleNames(): string[] {
  return [...new Set(files.map((f) => f.module))];
}

function defaultOf(name: string): unknown {
  return variables('').get(name)?.default;
}

function numberDefault(name: string): number {
  const value = defaultOf(name);
  expect(typeof value, `${name} has a number default`).toBe('number');
  return value as number;
}

const README = path.join(TERRAFORM_DIR, 'README.md');

/** The README's terraform.tfvars example: the ```hcl block that starts with `# terraform.tfvars`. */
function readmeExample(): string {
  const match = readFileSync(README, 'utf8').match(/```hcl\n(# terraform\.tfvars\n[\s\S]*?)```/);
  expect(match, 'README has a ```hcl block starting with "# terraform.tfvars"').not.toBeNull();
  return match?.[1] ?? '';
}

const PUBLIC = ['0.0.0.0/0', '::/0'];

/** Firewall rules that allow TCP 5432. */
function postgresAllowRules(): Resource[] {
  return resources('google_compute_firewall').filter(({ body }) =>
    blocksOrDynamic(body, 'allow').some(
      (allow) =>
        ['tcp', 'all'].includes(String(allow.protocol)) &&
        (allow.ports === undefined ||
          strings(allow.ports).some((port) => {
            const [low, high] = port.split('-').map(Number);
            return low !== undefined && low <= 5432 && 5432 <= (high ?? low);
          })),
    ),
  );
}

/** The Cloud Run services: keys of the run module's local.services, one definition for both. */
const CLOUD_RUN_SERVICES = ['api', 'check'];

/** The single google_cloud_run_v2_service definition, `this`, for_each over local.services. */
function serviceDefinition(): Block {
  return resource('run', 'google_cloud_run_v2_service', 'this');
}

/** What local.services holds for one service: everything that differs between the two. */
function serviceSettings(service: string): Block {
  const settings = map(locals('run'), 'services');
  expect(Object.keys(settings), 'local.services').toContain(service);
  return map(settings, service);
}

/**
 * An attribute of the definition as one service gets it: `${each.key}` and
 * `${each.value.X}` replaced from local.services. A whole `${each.value.X}`
 * gives the value itself (a number, null, an expression), one inside a
 * string is written into it.
 */
function forService(value: unknown, service: string): unknown {
  if (typeof value !== 'string') return value;
  const settings = serviceSettings(service);
  const setting = (name: string): unknown => {
    if (!(name in settings)) throw new Error(`local.services.${service} has no ${name}`);
    return settings[name];
  };
  const whole = value.match(/^\$\{each\.value\.(\w+)\}$/);
  if (whole) return setting(whole[1] ?? '');
  return value
    .replace(/\$\{each\.key\}/g, service)
    .replace(/\$\{each\.value\.(\w+)\}/g, (_, name: string) => String(setting(name)));
}

/**
 * The environment a `dynamic "env"` for_each gives: local.X, each.value.X
 * (for `service`) or merge() of those, with no key set by two of them (so the
 * order of the merge never decides a value).
 */
function resolveEnv(forEach: unknown, service?: string): Block {
  const text = expressionText(forEach);
  const parts = (text.match(/^merge\((.*)\)$/)?.[1] ?? text).split(',').map((p) => p.trim());
  const maps = parts.map((part) => {
    const local = part.match(/^local\.(\w+)$/)?.[1];
    if (local !== undefined) return map(locals('run'), local);
    const setting = part.match(/^each\.value\.(\w+)$/)?.[1];
    if (setting !== undefined && service !== undefined) {
      return map(serviceSettings(service), setting);
    }
    throw new Error(`cannot resolve env ${part}`);
  });
  const keys = maps.flatMap((m) => Object.keys(m));
  expect(keys, `env of ${service ?? 'the job'}: no key set twice`).toEqual([...new Set(keys)]);
  return Object.assign({}, ...maps);
}

/** The definition's single `dynamic "env"`. */
function serviceEnvBlock(): Block {
  const container = only(only(serviceDefinition(), 'template'), 'containers');
  const dynamic = blocks(map(container, 'dynamic'), 'env');
  expect(dynamic, 'one dynamic env').toHaveLength(1);
  return dynamic[0] as Block;
}

/** The environment one service gets. */
function serviceEnv(service: string): Block {
  return resolveEnv(serviceEnvBlock().for_each, service);
}

/** The environment the migration job gets. */
function jobEnv(): Block {
  const job = resource('run', 'google_cloud_run_v2_job', 'migrate');
  const container = only(only(only(job, 'template'), 'template'), 'containers');
  return resolveEnv(only(map(container, 'dynamic'), 'env').for_each);
}

/** Each service's template, with each.key and each.value.X of its top-level attributes resolved. */
function serviceTemplate(service: string): Block {
  return Object.fromEntries(
    Object.entries(only(serviceDefinition(), 'template')).map(([key, value]) => [
      key,
      forService(value, service),
    ]),
  );
}

/** The moved blocks of a module. */
function movedBlocks(module: string): Block[] {
  return jsonOf(module).flatMap((json) => blocks(json, 'moved'));
}

/** An expression as hcl2json gives it, without the `${…}` around it; whitespace collapsed. */
function expressionText(value: unknown): string {
  const text = String(value).replace(/\s+/g, ' ');
  return text.startsWith('${') && text.endsWith('}') ? text.slice(2, -1).trim() : text;
}

/**
 * A reference that evaluation leaves as written: a resource's attribute
 * (`google_logging_metric.lag.name`) or a variable given no value. In a
 * string it is written back as `${…}`, as hcl2json shows it.
 */
class Reference {
  constructor(readonly path: string) {}
  toString(): string {
    return `\${${this.path}}`;
  }
}

/** `var` and `local`: what their attributes are read from. */
class Namespace {
  constructor(readonly name: 'var' | 'local') {}
}

type HclValue =
  | null
  | boolean
  | number
  | string
  | Reference
  | HclValue[]
  | { [key: string]: HclValue };
type Value = HclValue | Namespace;

interface HclScope {
  /** The module whose locals `local.X` reads. */
  module: string;
  /** Values of `var.X`; a variable not listed stays a Reference. */
  vars: Record<string, HclValue>;
}

/** Names bound by for expressions and dynamic blocks (`position`, `conditions`, …). */
type Names = Record<string, HclValue>;
type HclNode = (names: Names) => Value;

function isObject(value: Value): value is { [key: string]: HclValue } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Reference) &&
    !(value instanceof Namespace)
  );
}

function plain(value: Value, what: string): HclValue {
  if (value instanceof Namespace) throw new Error(`${what}: ${value.name} alone is no value`);
  return value;
}

function numberOf(value: Value, what: string): number {
  if (typeof value !== 'number') throw new Error(`${what}: ${String(value)} is not a number`);
  return value;
}

function listOf(value: Value, what: string): HclValue[] {
  if (!Array.isArray(value)) throw new Error(`${what}: not a list`);
  return value;
}

function objectOf(value: Value, what: string): { [key: string]: HclValue } {
  if (!isObject(value)) throw new Error(`${what}: not an object`);
  return value;
}

/** A value written into a string template, as Terraform would (a Reference as `${…}`). */
function templateText(value: Value): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Reference) return value.toString();
  throw new Error(`cannot write ${JSON.stringify(value)} into a string`);
}

/** A value with every Reference in it written as `${…}`, as jsonencode() would give it once resolved. */
function written(value: Value): HclValue {
  if (value instanceof Reference) return value.toString();
  if (Array.isArray(value)) return value.map(written);
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, written(item)]));
  }
  return plain(value, 'jsonencode');
}

/** A traversal step: `.name` (attribute) or `[key]` (index). */
function step(value: Value, key: HclValue, attribute: boolean, scope: HclScope): Value {
  if (value instanceof Namespace) {
    const name = String(key);
    if (value.name === 'var')
      return name in scope.vars ? (scope.vars[name] as HclValue) : new Reference(`var.${name}`);
    const local = locals(scope.module)[name];
    if (local === undefined) throw new Error(`no local.${name} in ${scope.module || 'root'}`);
    return hclValue(local, scope);
  }
  if (value instanceof Reference) {
    if (attribute) return new Reference(`${value.path}.${String(key)}`);
    if (typeof key !== 'string' && typeof key !== 'number')
      throw new Error(`bad index of ${value.path}`);
    return new Reference(`${value.path}[${JSON.stringify(key)}]`);
  }
  if (Array.isArray(value)) {
    const index = typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : key;
    if (typeof index !== 'number' || index < 0 || index >= value.length) {
      throw new Error(`no element ${String(key)} in a list of ${value.length}`);
    }
    return value[index] as HclValue;
  }
  if (isObject(value)) {
    const name = String(key);
    if (!(name in value))
      throw new Error(`no attribute "${name}" in { ${Object.keys(value).join(', ')} }`);
    return value[name] as HclValue;
  }
  throw new Error(`cannot read ${String(key)} of ${JSON.stringify(value)}`);
}

/** What a for expression iterates over: [key or index, value], a map in key order. */
function entries(collection: Value, what: string): [HclValue, HclValue][] {
  if (Array.isArray(collection)) return collection.map((item, index) => [index, item]);
  if (isObject(collection)) {
    return Object.keys(collection)
      .sort()
      .map((key) => [key, collection[key] as HclValue]);
  }
  throw new Error(`${what}: cannot iterate over ${String(collection)}`);
}

function equal(a: Value, b: Value): boolean {
  if (a instanceof Reference || b instanceof Reference)
    throw new Error('cannot compare a reference');
  return JSON.stringify(a) === JSON.stringify(b);
}

const HCL_FUNCTIONS: Record<string, (...args: Value[]) => HclValue> = {
  ceil: (x) => Math.ceil(numberOf(x, 'ceil')),
  floor: (x) => Math.floor(numberOf(x, 'floor')),
  max: (...xs) => Math.max(...xs.map((x) => numberOf(x, 'max'))),
  min: (...xs) => Math.min(...xs.map((x) => numberOf(x, 'min'))),
  log: (x, base) => Math.log(numberOf(x, 'log')) / Math.log(numberOf(base ?? Math.E, 'log')),
  concat: (...lists) => lists.flatMap((list) => listOf(list, 'concat')),
  merge: (...maps) => Object.assign({}, ...maps.map((m) => objectOf(m, 'merge'))),
  keys: (m) => Object.keys(objectOf(m, 'keys')).sort(),
  values: (m) => {
    const object = objectOf(m, 'values');
    return Object.keys(object)
      .sort()
      .map((key) => object[key] as HclValue);
  },
  length: (x) => {
    if (Array.isArray(x) || typeof x === 'string') return x.length;
    return Object.keys(objectOf(x, 'length')).length;
  },
  setproduct: (...lists) =>
    lists.reduce<HclValue[][]>(
      (product, list) =>
        product.flatMap((prefix) => listOf(list, 'setproduct').map((item) => [...prefix, item])),
      [[]],
    ),
  join: (separator, list) => listOf(list, 'join').map(templateText).join(String(separator)),
  tostring: (x) => templateText(x),
  // The structure jsonencode() would serialize, references written as `${…}`.
  jsonencode: (x) => written(x),
  // A set of strings: Terraform sorts them.
  toset: (list) => [...new Set(listOf(list, 'toset').map(templateText))].sort(),
  // The verbs this configuration uses: %.Ng (N significant digits, trailing
  // zeros dropped, as Go's %g), %d, %s and %%.
  format: (spec, ...args) => {
    let next = 0;
    return String(spec).replace(/%(?:\.(\d+))?([gds%])/g, (_, digits: string | undefined, verb) => {
      if (verb === '%') return '%';
      const arg = args[next++];
      if (verb === 's') return templateText(arg ?? null);
      const x = numberOf(arg ?? null, 'format');
      if (verb === 'd') return String(Math.trunc(x));
      if (digits === undefined)
        throw new Error('format: %g without a precision prints every digit of a big float');
      return String(Number(x.toPrecision(Number(digits))));
    });
  },
};

/**
 * A small evaluator of HCL expressions (Terraform's native syntax), enough
 * for the configuration's locals, filters and dashboard: literals, string
 * templates, tuples and objects, for expressions, var.X (from the scope, or
 * left as a Reference), local.X, resource attributes (left as References),
 * indexing, arithmetic, comparisons, conditionals and the functions of
 * HCL_FUNCTIONS. Anything else throws: what these tests check must stay
 * computable here.
 */
class HclParser {
  private at = 0;

  private constructor(
    private readonly text: string,
    private readonly scope: HclScope,
  ) {}

  /** An expression's source, as hcl2json gives it inside `${…}`. */
  static expression(text: string, scope: HclScope): HclNode {
    const parser = new HclParser(text, scope);
    const node = parser.expression();
    parser.space();
    if (parser.at !== text.length) parser.fail('unexpected text');
    return node;
  }

  /** A string hcl2json has decoded: literal text with `${…}` interpolations in source form. */
  static template(text: string, scope: HclScope): HclNode {
    const parser = new HclParser(text, scope);
    return parser.templateBody(false);
  }

  private fail(message: string): never {
    throw new Error(`${message} at "${this.text.slice(this.at, this.at + 40)}" in ${this.text}`);
  }

  /** Skips spaces and comments; true when it crossed a line end. */
  private space(): boolean {
    let newline = false;
    for (;;) {
      const rest = this.text.slice(this.at);
      const skipped = rest.match(/^(?:[ \t\r]+|\n|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/);
      if (!skipped) return newline;
      if (skipped[0].includes('\n')) newline = true;
      this.at += skipped[0].length;
    }
  }

  private next(token: string): boolean {
    this.space();
    return this.text.startsWith(token, this.at);
  }

  private eat(token: string): boolean {
    if (!this.next(token)) return false;
    this.at += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.eat(token)) this.fail(`expected ${token}`);
  }

  private identifier(): string | undefined {
    this.space();
    const name = this.text.slice(this.at).match(/^[A-Za-z_][\w-]*/)?.[0];
    if (name !== undefined) this.at += name.length;
    return name;
  }

  private keyword(word: string): boolean {
    this.space();
    const found = this.text.slice(this.at).match(/^[A-Za-z_][\w-]*/)?.[0];
    if (found !== word) return false;
    this.at += word.length;
    return true;
  }

  private expression(): HclNode {
    const condition = this.binary(0);
    if (!this.eat('?')) return condition;
    const yes = this.expression();
    this.expect(':');
    const no = this.expression();
    return (names) => {
      const test = condition(names);
      if (typeof test !== 'boolean') throw new Error('a condition must be a bool');
      return test ? yes(names) : no(names);
    };
  }

  private static readonly LEVELS = [
    ['||'],
    ['&&'],
    ['==', '!='],
    ['<=', '>=', '<', '>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): HclNode {
    const operators = HclParser.LEVELS[level];
    if (operators === undefined) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      this.space();
      const operator = operators.find(
        (op) => this.text.startsWith(op, this.at) && !this.text.startsWith('=>', this.at),
      );
      if (operator === undefined) return left;
      this.at += operator.length;
      const right = this.binary(level + 1);
      const l = left;
      left = (names) => HclParser.apply(operator, l(names), right(names));
    }
  }

  private static apply(operator: string, a: Value, b: Value): Value {
    switch (operator) {
      case '==':
        return equal(a, b);
      case '!=':
        return !equal(a, b);
      case '&&':
      case '||':
        if (typeof a !== 'boolean' || typeof b !== 'boolean')
          throw new Error(`${operator} needs bools`);
        return operator === '&&' ? a && b : a || b;
    }
    const x = numberOf(a, operator);
    const y = numberOf(b, operator);
    const results: Record<string, number | boolean> = {
      '+': x + y,
      '-': x - y,
      '*': x * y,
      '/': x / y,
      '%': x % y,
      '<': x < y,
      '>': x > y,
      '<=': x <= y,
      '>=': x >= y,
    };
    const result = results[operator];
    if (result === undefined) throw new Error(`unknown operator ${operator}`);
    return result;
  }

  private unary(): HclNode {
    if (this.eat('!')) {
      const operand = this.unary();
      return (names) => {
        const value = operand(names);
        if (typeof value !== 'boolean') throw new Error('! needs a bool');
        return !value;
      };
    }
    if (this.eat('-')) {
      const operand = this.unary();
      return (names) => -numberOf(operand(names), 'negation');
    }
    return this.postfix();
  }

  private postfix(): HclNode {
    let node = this.primary();
    for (;;) {
      const start = this.at;
      if (this.space()) {
        // A traversal never continues on the next line.
        this.at = start;
        return node;
      }
      const base = node;
      if (this.text.startsWith('.', this.at)) {
        this.at++;
        const index = this.text.slice(this.at).match(/^\d+/)?.[0];
        if (index !== undefined) {
          this.at += index.length;
          node = (names) => step(base(names), Number(index), false, this.scope);
          continue;
        }
        const name = this.identifier();
        if (name === undefined) this.fail('splat expressions are not supported');
        node = (names) => step(base(names), name, true, this.scope);
        continue;
      }
      if (this.text.startsWith('[', this.at)) {
        this.at++;
        if (this.eat('*')) this.fail('splat expressions are not supported');
        const key = this.expression();
        this.expect(']');
        node = (names) => step(base(names), plain(key(names), 'index'), false, this.scope);
        continue;
      }
      return node;
    }
  }

  private primary(): HclNode {
    this.space();
    const rest = this.text.slice(this.at);
    const number = rest.match(/^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/)?.[0];
    if (number !== undefined) {
      this.at += number.length;
      const value = Number(number);
      return () => value;
    }
    if (rest.startsWith('"')) {
      this.at++;
      return this.templateBody(true);
    }
    if (rest.startsWith('<<')) this.fail('heredocs are not supported');
    if (this.eat('(')) {
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    if (this.eat('[')) return this.keyword('for') ? this.forExpression(']') : this.tuple();
    if (this.eat('{')) return this.keyword('for') ? this.forExpression('}') : this.object();
    const name = this.identifier();
    if (name === undefined) this.fail('expected an expression');
    if (name === 'true') return () => true;
    if (name === 'false') return () => false;
    if (name === 'null') return () => null;
    if (this.text.startsWith('(', this.at)) return this.call(name);
    if (name === 'var' || name === 'local') {
      const namespace = new Namespace(name);
      return () => namespace;
    }
    return (names) => (name in names ? (names[name] as HclValue) : new Reference(name));
  }

  private call(name: string): HclNode {
    const fn = HCL_FUNCTIONS[name];
    if (fn === undefined) this.fail(`function ${name} is not supported`);
    this.at++;
    const args: HclNode[] = [];
    while (!this.eat(')')) {
      args.push(this.expression());
      if (this.next('...')) this.fail('argument expansion is not supported');
      if (!this.eat(',') && !this.next(')')) this.fail('expected , or )');
    }
    return (names) => fn(...args.map((arg) => arg(names)));
  }

  private tuple(): HclNode {
    const items: HclNode[] = [];
    while (!this.eat(']')) {
      items.push(this.expression());
      if (!this.eat(',') && !this.next(']')) this.fail('expected , or ]');
    }
    return (names) => items.map((item) => plain(item(names), 'tuple element'));
  }

  private object(): HclNode {
    const items: [HclNode, HclNode][] = [];
    while (!this.eat('}')) {
      let key: HclNode;
      if (this.eat('(')) {
        key = this.expression();
        this.expect(')');
      } else if (this.next('"')) {
        key = this.primary();
      } else {
        const name = this.identifier();
        if (name === undefined) this.fail('expected an object key');
        key = () => name;
      }
      if (!this.eat('=') && !this.eat(':')) this.fail('expected = or :');
      items.push([key, this.expression()]);
      this.eat(',');
    }
    return (names) => {
      const result: { [key: string]: HclValue } = {};
      for (const [key, value] of items) {
        result[templateText(key(names))] = plain(value(names), 'object value');
      }
      return result;
    };
  }

  /** After `[for` or `{for`. */
  private forExpression(close: ']' | '}'): HclNode {
    const first = this.identifier();
    if (first === undefined) this.fail('expected a for variable');
    let second: string | undefined;
    if (this.eat(',')) {
      second = this.identifier();
      if (second === undefined) this.fail('expected a second for variable');
    }
    if (!this.keyword('in')) this.fail('expected in');
    const collection = this.expression();
    this.expect(':');
    const key = close === '}' ? this.expression() : undefined;
    if (key !== undefined) this.expect('=>');
    const value = this.expression();
    if (this.next('...')) this.fail('grouping (...) is not supported');
    const condition = this.keyword('if') ? this.expression() : undefined;
    this.expect(close);
    return (names) => {
      const results: [HclValue, HclValue][] = [];
      for (const [k, v] of entries(collection(names), 'for')) {
        const inner: Names =
          second === undefined ? { ...names, [first]: v } : { ...names, [first]: k, [second]: v };
        if (condition !== undefined && condition(inner) !== true) continue;
        results.push([
          key === undefined ? null : plain(key(inner), 'for key'),
          plain(value(inner), 'for value'),
        ]);
      }
      if (key === undefined) return results.map(([, v]) => v);
      const object: { [key: string]: HclValue } = {};
      for (const [k, v] of results) {
        const name = templateText(k);
        if (name in object) throw new Error(`for: duplicate key ${name}`);
        object[name] = v;
      }
      return object;
    };
  }

  /**
   * A template's body, up to its closing quote (source form: escapes
   * decoded here) or to the end of the text (decoded by hcl2json). One
   * interpolation alone gives its value as is, as in Terraform.
   */
  private templateBody(quoted: boolean): HclNode {
    const parts: (string | HclNode)[] = [];
    let literal = '';
    const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
    for (;;) {
      if (this.at >= this.text.length) {
        if (quoted) this.fail('unterminated string');
        break;
      }
      const rest = this.text.slice(this.at);
      if (quoted && rest.startsWith('"')) {
        this.at++;
        break;
      }
      if (quoted && rest.startsWith('\\')) {
        const unicode = rest.match(/^\\u([0-9a-fA-F]{4})/);
        if (unicode) {
          literal += String.fromCharCode(Number.parseInt(unicode[1] ?? '', 16));
          this.at += 6;
          continue;
        }
        const escaped = escapes[rest[1] ?? ''];
        if (escaped === undefined) this.fail('unknown escape');
        literal += escaped;
        this.at += 2;
        continue;
      }
      if (rest.startsWith('$${') || rest.startsWith('%%{')) {
        literal += rest.slice(1, 3);
        this.at += 3;
        continue;
      }
      if (rest.startsWith('%{')) this.fail('template directives are not supported');
      if (rest.startsWith('${')) {
        this.at += 2;
        if (this.next('~')) this.fail('strip markers are not supported');
        if (literal !== '') parts.push(literal);
        literal = '';
        parts.push(this.expression());
        this.expect('}');
        continue;
      }
      if (quoted && rest.startsWith('\n')) this.fail('a line end in a string');
      literal += rest[0];
      this.at++;
    }
    if (literal !== '' || parts.length === 0) parts.push(literal);
    const only = parts[0];
    if (parts.length === 1 && typeof only === 'function') return only;
    return (names) =>
      parts.map((part) => (typeof part === 'string' ? part : templateText(part(names)))).join('');
  }
}

/**
 * A value as hcl2json gives it, evaluated: strings as templates (hcl2json
 * decodes their literal text and leaves each `${…}` in source form), objects
 * and lists element by element.
 */
function hclValue(value: unknown, scope: HclScope, names: Names = {}): HclValue {
  // An expression comes as one interpolation, `${…}`, in source form: as a
  // template it gives its value as is.
  if (typeof value === 'string') return plain(HclParser.template(value, scope)(names), value);
  if (Array.isArray(value)) return value.map((item) => hclValue(item, scope, names));
  if (isBlock(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, hclValue(item, scope, names)]),
    );
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  throw new Error(`cannot evaluate ${String(value)}`);
}

/** Evaluates a number (timeouts, buckets) in one module, with `vars` for var.X. */
function evaluate(value: unknown, module: string, vars: Record<string, number>): number {
  const result = hclValue(value, { module, vars });
  if (typeof result !== 'number') throw new Error(`${String(value)} is not a number`);
  return result;
}

/** The root variables' number defaults, with some replaced. */
function rootNumbers(overrides: Record<string, number> = {}): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [name, body] of variables('')) {
    if (typeof body.default === 'number') values[name] = body.default;
  }
  return { ...values, ...overrides };
}

/** CloudNativePG instance names as the postgres module gives them, for n instances. */
function sampleInstances(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `pg-replica-pg-${index + 1}`);
}

/** The monitoring module's scope with `count` instances; every other variable stays a reference. */
function monitoringScope(count = 3): HclScope {
  return { module: 'monitoring', vars: { replica_instances: sampleInstances(count) } };
}

/** The `${…}` references in a string, nested braces kept whole. */
function references(text: string): string[] {
  const found: string[] = [];
  let at = text.indexOf('${');
  while (at !== -1) {
    let depth = 0;
    let end = at;
    for (; end < text.length; end++) {
      if (text.startsWith('${', end)) {
        depth++;
        end++;
      } else if (text[end] === '}' && --depth === 0) break;
    }
    found.push(text.slice(at + 2, end));
    at = text.indexOf('${', end);
  }
  return found;
}

/** The metric types a Monitoring filter names (`metric.type="…"`, a reference in it kept whole). */
function metricTypes(filter: string): string[] {
  return [...filter.matchAll(/metric\.type\s*=\s*"/g)].map((match) => {
    const start = (match.index ?? 0) + match[0].length;
    let depth = 0;
    let end = start;
    for (; end < filter.length; end++) {
      if (filter.startsWith('${', end)) {
        depth++;
        end++;
      } else if (filter[end] === '}' && depth > 0) depth--;
      else if (filter[end] === '"' && depth === 0) break;
    }
    return filter.slice(start, end);
  });
}

/** A log-based metric a filter names: google_logging_metric.<name>, its for_each key if any. */
interface LogMetricReference {
  name: string;
  key: string | undefined;
}

const LOG_METRIC_TYPE =
  /^logging\.googleapis\.com\/user\/\$\{google_logging_metric\.(\w+)(?:\["([^"]+)"\])?\.name\}$/;

/** The Cloud Run services a built-in run.googleapis.com metric may be read for: the run module's. */
const RUN_SERVICE_VARIABLES = ['${var.api_service_name}', '${var.check_service_name}'];

/**
 * Asserts that every metric a filter names is a log-based metric defined in
 * the monitoring module (by reference, with a key of its for_each when it has
 * one), or a built-in one: Cloud Run's for the run module's services only, or
 * Cloud Monitoring's own (uptime checks). Returns the log-based ones.
 */
function definedMetrics(filter: string, where: string, scope: HclScope): LogMetricReference[] {
  const slo = sloSelector(filter);
  if (slo !== undefined) return sloMetrics(slo, where, scope);
  const types = metricTypes(filter);
  expect(types, `${where}: names one metric type`).toHaveLength(1);
  return types.flatMap((type) => {
    if (type.startsWith('logging.googleapis.com/user/')) {
      const match = type.match(LOG_METRIC_TYPE);
      expect(match, `${where}: ${type} is a google_logging_metric by reference`).not.toBeNull();
      const name = match?.[1] ?? '';
      const key = match?.[2];
      const metrics = resources('google_logging_metric').filter(
        (r) => r.module === 'monitoring' && r.name === name,
      );
      expect(metrics, `${where}: google_logging_metric.${name} is defined`).toHaveLength(1);
      const forEach = metrics[0]?.body.for_each;
      if (forEach === undefined) {
        expect(key, `${where}: google_logging_metric.${name} has no for_each`).toBeUndefined();
      } else {
        const keys = Object.keys(objectOf(hclValue(forEach, scope), `${name} for_each`));
        expect(keys, `${where}: google_logging_metric.${name}[${key}]`).toContain(key);
      }
      return [{ name, key }];
    }
    if (type.startsWith('run.googleapis.com/')) {
      expect(filter, `${where}: a Cloud Run revision metric`).toContain(
        'resource.type="cloud_run_revision"',
      );
      const services = [...filter.matchAll(/resource\.labels?\.service_name\s*=\s*"([^"]*)"/g)].map(
        (m) => m[1],
      );
      expect(services.length, `${where}: ${type} names its service`).toBeGreaterThan(0);
      for (const service of services) {
        expect(RUN_SERVICE_VARIABLES, `${where}: ${type} of a service defined here`).toContain(
          service,
        );
      }
      return [];
    }
    expect(type, `${where}: a Cloud Monitoring built-in metric`).toMatch(
      /^monitoring\.googleapis\.com\//,
    );
    return [];
  });
}

/** An SLO time-series selector (`select_slo_burn_rate("${google_monitoring_slo.X["k"].id}", "3600s")`). */
interface SloSelector {
  selector: string;
  /** google_monitoring_slo.<name> */
  name: string;
  key: string | undefined;
  /** The lookback period in seconds, for the selectors that take one. */
  lookbackS: number | undefined;
}

const SLO_SELECTOR =
  /^(select_slo_\w+)\("\$\{google_monitoring_slo\.(\w+)(?:\["([^"]+)"\])?\.id\}"(?:, "(\d+)s")?\)$/;

/** The SLO selector a filter is, or undefined for a metric filter. */
function sloSelector(filter: string): SloSelector | undefined {
  if (!filter.startsWith('select_slo_')) return undefined;
  const match = filter.match(SLO_SELECTOR);
  expect(
    match,
    `${filter}: an SLO selector naming a google_monitoring_slo by reference`,
  ).not.toBeNull();
  return {
    selector: match?.[1] ?? '',
    name: match?.[2] ?? '',
    key: match?.[3],
    lookbackS: match?.[4] === undefined ? undefined : Number(match[4]),
  };
}

/** The SLO's SLI filters, evaluated for one instance: [role, filter]. */
function sloFilters(body: Block, scope: HclScope, names: Names): [string, string][] {
  const request = only(body, 'request_based_sli');
  const ratio = only(request, 'good_total_ratio');
  return ['good_service_filter', 'bad_service_filter', 'total_service_filter']
    .filter((role) => ratio[role] !== undefined)
    .map((role) => [role, String(hclValue(ratio[role], scope, names))]);
}

/**
 * Asserts that an SLO selector names a google_monitoring_slo defined in the
 * monitoring module (with a key of its for_each), whose SLI reads only
 * log-based metrics defined here; returns those metrics.
 */
function sloMetrics(slo: SloSelector, where: string, scope: HclScope): LogMetricReference[] {
  const found = resources('google_monitoring_slo').filter(
    (r) => r.module === 'monitoring' && r.name === slo.name,
  );
  expect(found, `${where}: google_monitoring_slo.${slo.name} is defined`).toHaveLength(1);
  const body = (found[0] as Resource).body;
  const instance = instances(body, scope, slo.name).find((i) => i.key === slo.key);
  expect(instance, `${where}: google_monitoring_slo.${slo.name}[${slo.key}] exists`).toBeDefined();
  return sloFilters(body, scope, instance?.names ?? {}).flatMap(([role, filter]) =>
    definedMetrics(filter, `${where} → ${slo.name}[${slo.key}] ${role}`, scope),
  );
}

/** A condition of an alert policy, its filter evaluated (a dynamic block's once per element). */
interface AlertCondition {
  policy: string;
  /** The policy's for_each key, if it has one. */
  instance: string | undefined;
  /** `each` and `conditions` as bound for this condition. */
  names: Names;
  /** The condition_threshold or condition_absent block. */
  condition: Block;
  filter: string;
}

/**
 * A resource's instances: `each` bound to each element of its for_each (a
 * map, in key order), or one instance without it.
 */
function instances(body: Block, scope: HclScope, what: string): { key?: string; names: Names }[] {
  if (body.for_each === undefined) return [{ names: {} }];
  return entries(hclValue(body.for_each, scope), `${what} for_each`).map(([key, value]) => ({
    key: String(key),
    names: { each: { key, value } },
  }));
}

function alertConditions(scope: HclScope = monitoringScope()): AlertCondition[] {
  return resources('google_monitoring_alert_policy').flatMap(({ name, body }) =>
    instances(body, scope, name).flatMap(({ key, names: instance }) => {
      const policy = key === undefined ? name : `${name}["${key}"]`;
      const fixed = blocks(body, 'conditions').map((condition) => ({ condition, names: instance }));
      const dynamic = blocks(map(body, 'dynamic'), 'conditions').flatMap((block) =>
        entries(hclValue(block.for_each, scope, instance), `${policy} conditions`).flatMap(
          ([k, value]) =>
            blocks(block, 'content').map((condition) => ({
              condition,
              names: { ...instance, conditions: { key: k, value } } as Names,
            })),
        ),
      );
      return [...fixed, ...dynamic].flatMap(({ condition, names }) =>
        [...blocks(condition, 'condition_threshold'), ...blocks(condition, 'condition_absent')].map(
          (c) => ({
            policy: name,
            instance: key,
            names,
            condition: c,
            filter: String(hclValue(c.filter, scope, names)),
          }),
        ),
      );
    }),
  );
}

/** The dashboard's JSON as jsonencode() gives it, with `count` instances. */
function dashboardJson(count = 3): Block {
  const body = resource('monitoring', 'google_monitoring_dashboard', 'replication');
  const value = hclValue(body.dashboard_json, monitoringScope(count));
  expect(isBlock(value), 'dashboard_json is jsonencode({ … })').toBe(true);
  return value as Block;
}

/** The dashboard's widgets (grid layout). */
function dashboardWidgets(dashboard: Block): Block[] {
  const widgets = map(dashboard, 'gridLayout').widgets;
  expect(Array.isArray(widgets), 'gridLayout.widgets').toBe(true);
  return Array.isArray(widgets) ? widgets.filter(isBlock) : [];
}

/** A chart's data set with what it reads: its filter and aggregation. */
interface DataSet {
  widget: string;
  dataSet: Block;
  filter: string;
  aggregation: Block;
}

function dataSets(dashboard: Block): DataSet[] {
  return dashboardWidgets(dashboard).flatMap((widget) => {
    const sets = (widget.xyChart as Block | undefined)?.dataSets;
    return (Array.isArray(sets) ? sets.filter(isBlock) : []).map((dataSet) => {
      const query = map(map(dataSet, 'timeSeriesQuery'), 'timeSeriesFilter');
      return {
        widget: String(widget.title),
        dataSet,
        filter: String(query.filter),
        aggregation: map(query, 'aggregation'),
      };
    });
  });
}

/** Every string in a JSON value. */
function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  return isBlock(value) ? Object.values(value).flatMap(allStrings) : [];
}

/** Every `filter` in a JSON value, wherever it is. */
function allFilters(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allFilters);
  if (!isBlock(value)) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === 'filter' && typeof item === 'string' ? [item] : allFilters(item),
  );
}

beforeAll(async () => {
  files = await Promise.all(
    tfFiles(TERRAFORM_DIR).map(async (full) => {
      const file = path.relative(TERRAFORM_DIR, full);
      const text = readFileSync(full, 'utf8');
      return { file, module: moduleOf(file), text, json: (await parse(file, text)) as Block };
    }),
  );
});

describe('terraform: layout and formatting', () => {
  it('has a root module composing the network, gke, postgres, secrets, run and monitoring modules', () => {
    expect(moduleNames().sort()).toEqual(
      ['', 'gke', 'monitoring', 'network', 'postgres', 'run', 'secrets'].sort(),
    );
    for (const module of moduleNames()) {
      for (const file of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) {
        const relative = module === '' ? file : path.join('modules', module, file);
        expect(
          files.map((f) => f.file),
          `${module || 'root'} has ${file}`,
        ).toContain(relative);
      }
    }
    const calls = moduleCalls();
    for (const module of moduleNames().filter((m) => m !== '')) {
      expect(calls.get(module)?.source, `root calls module ${module}`).toBe(`./modules/${module}`);
    }
  });

  it('formats every .tf file canonically (@cdktf/hcl-tools)', async () => {
    for (const { file, text } of files) {
      expect(await format(text), `${file} is formatted`).toBe(text);
    }
  });

  const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  it.skipIf(terraform.error !== undefined || terraform.status !== 0)(
    'passes terraform fmt -check -recursive (where terraform is installed)',
    () => {
      const result = spawnSync('terraform', ['fmt', '-check', '-recursive', TERRAFORM_DIR], {
        encoding: 'utf8',
      });
      expect(result.stdout, 'files terraform fmt would change').toBe('');
      expect(result.status).toBe(0);
    },
  );
});

describe('terraform: nothing public reaches PostgreSQL', () => {
  it('allows 5432 from no public range (0.0.0.0/0, ::/0)', () => {
    const rules = postgresAllowRules();
    expect(rules.length).toBeGreaterThan(0);
    for (const { name, body } of rules) {
      const sources = strings(body.source_ranges);
      expect(sources.length, `${name} names its sources`).toBeGreaterThan(0);
      for (const source of sources) expect(PUBLIC, `${name} source`).not.toContain(source);
      expect(body.direction ?? 'INGRESS').toBe('INGRESS');
    }
  });

  it("admits only the connector's range from outside the cluster, and denies 5432 to everyone else", () => {
    const outside = postgresAllowRules().filter(
      ({ body }) =>
        !strings(body.source_ranges).every((s) =>
          ['${var.nodes_cidr}', '${var.pods_cidr}'].includes(s),
        ),
    );
    expect(outside.map((r) => r.name)).toEqual(['postgres_from_connector']);
    expect(outside[0]?.body.source_ranges).toEqual(['${var.connector_cidr}']);

    const deny = resources('google_compute_firewall').filter(({ body }) =>
      blocks(body, 'deny').some((d) => strings(d.ports).includes('5432')),
    );
    expect(deny).toHaveLength(1);
    const denyRule = deny[0]?.body ?? {};
    expect(denyRule.source_ranges).toEqual(['0.0.0.0/0']);
    // Below GKE's own load balancer rules (1000), above our allows.
    expect(Number(denyRule.priority)).toBeLessThan(1000);
    for (const { body } of postgresAllowRules()) {
      expect(Number(body.priority)).toBeLessThan(Number(denyRule.priority));
    }
  });

  it('reserves internal addresses only and creates no public load balancer or forwarding rule', () => {
    const addresses = resources('google_compute_address');
    expect(addresses.length).toBeGreaterThanOrEqual(2);
    for (const { name, body } of addresses) {
      expect(body.address_type, `${name} is internal`).toBe('INTERNAL');
      expect(body.subnetwork, `${name} is in the GKE subnet`).toBe('${var.subnet_id}');
    }
    expect(resources(/^google_compute_(global_address|global_forwarding_rule)$/)).toEqual([]);
    for (const { name, body } of resources('google_compute_forwarding_rule')) {
      expect(body.load_balancing_scheme, `${name}`).toMatch(/^INTERNAL/);
    }
  });

  it("exposes rw, ro and each instance on internal load balancers limited to the connector's range, on reserved addresses", () => {
    const services = resources(/^kubernetes_service(_v1)?$/);
    const balancers = services.filter(({ body }) => only(body, 'spec').type === 'LoadBalancer');
    expect(balancers.map((s) => s.name).sort()).toEqual(['instance', 'ro', 'rw']);
    const roles = new Map([
      ['rw', 'primary'],
      ['ro', 'replica'],
    ]);
    for (const { name, body } of balancers) {
      const metadata = only(body, 'metadata');
      const spec = only(body, 'spec');
      expect(
        map(metadata, 'annotations')['networking.gke.io/load-balancer-type'],
        `${name} is internal`,
      ).toBe('Internal');
      expect(spec.load_balancer_source_ranges, `${name} admits the connector only`).toEqual([
        '${var.connector_cidr}',
      ]);
      const ip = String(spec.load_balancer_ip).match(
        /^\$\{google_compute_address\.(\w+)(\[count\.index\])?\.address\}$/,
      );
      expect(ip, `${name} uses a reserved address`).not.toBeNull();
      const address = resource('postgres', 'google_compute_address', ip?.[1] ?? '');
      expect(address.address_type).toBe('INTERNAL');
      // One address per service: a counted service takes its own counted address.
      expect(address.count, `${name}: as many addresses as services`).toBe(body.count);
      expect(ip?.[2] !== undefined, `${name}: indexed by count.index when counted`).toBe(
        body.count !== undefined,
      );
      expect(map(spec, 'selector')['cnpg.io/instanceRole'], `${name} selects by role`).toBe(
        roles.get(name),
      );
    }
    for (const { name, body } of services) {
      expect(only(body, 'spec').type, `${name} is no NodePort`).not.toBe('NodePort');
    }
  });

  it('gives every CloudNativePG instance its own internal load balancer, selected by instance name', () => {
    const service = resource('postgres', 'kubernetes_service_v1', 'instance');
    const address = resource('postgres', 'google_compute_address', 'instance');
    // One per instance: count is the cluster's instances, as the root module sets them.
    expect(service.count).toBe('${var.instances}');
    expect(address.count).toBe('${var.instances}');
    expect(moduleCalls().get('postgres')?.instances).toBe('${var.postgres_instances}');
    // CloudNativePG names instances <cluster>-1 … <cluster>-N; job pods share
    // the instanceName label, hence podRole.
    expect(expressionText(locals('postgres').instance_names)).toBe(
      '[for n in range(1, var.instances + 1) : "${local.cluster_name}-${n}"]',
    );
    expect(map(only(service, 'spec'), 'selector')).toEqual({
      'cnpg.io/cluster': '${local.cluster_name}',
      'cnpg.io/podRole': 'instance',
      'cnpg.io/instanceName': '${local.instance_names[count.index]}',
    });
    expect(address.name).toBe('${local.instance_names[count.index]}');
    expect(only(only(service, 'spec'), 'port')).toMatchObject({ port: 5432, target_port: 5432 });
    // Addresses and names leave the module in the same (instance) order.
    const out = outputs('postgres');
    expect(out.get('instance_addresses')?.value).toBe(
      '${google_compute_address.instance[*].address}',
    );
    expect(out.get('instance_names')?.value).toBe('${local.instance_names}');
  });

  it('gives the connector, the firewall and the load balancers the same range', () => {
    const calls = moduleCalls();
    for (const module of ['network', 'postgres', 'run']) {
      expect(calls.get(module)?.connector_cidr, module).toBe('${var.connector_cidr}');
    }
    expect(resource('run', 'google_vpc_access_connector', 'this').ip_cidr_range).toBe(
      '${var.connector_cidr}',
    );
  });

  it('runs GKE with private nodes, Workload Identity and a separately managed node pool', () => {
    const cluster = resource('gke', 'google_container_cluster', 'this');
    const privateConfig = only(cluster, 'private_cluster_config');
    expect(privateConfig.enable_private_nodes).toBe(true);
    expect(privateConfig.master_ipv4_cidr_block).toBe('${var.master_cidr}');
    expect(only(cluster, 'workload_identity_config').workload_pool).toBe(
      '${var.project_id}.svc.id.goog',
    );
    expect(cluster.remove_default_node_pool).toBe(true);
    const pool = resource('gke', 'google_container_node_pool', 'this');
    expect(pool.cluster).toBe('${google_container_cluster.this.id}');
    const nodeConfig = only(pool, 'node_config');
    expect(only(nodeConfig, 'workload_metadata_config').mode).toBe('GKE_METADATA');
    expect(nodeConfig.tags).toEqual(['${var.node_tag}']);
  });

  it('lets the private control plane reach the CloudNativePG webhook', () => {
    const rule = resource('gke', 'google_compute_firewall', 'webhook_from_master');
    expect(rule.source_ranges).toEqual(['${var.master_cidr}']);
    expect(rule.target_tags).toEqual(['${var.node_tag}']);
    expect(only(rule, 'allow').ports).toEqual(['${tostring(var.webhook_port)}']);
    const calls = moduleCalls();
    expect(calls.get('gke')?.webhook_port).toBe('${local.cnpg_webhook_port}');
    expect(calls.get('postgres')?.webhook_port).toBe('${local.cnpg_webhook_port}');
    expect(locals('').cnpg_webhook_port).toBe(9443);
    expect(String(resource('postgres', 'helm_release', 'operator').values)).toMatch(
      /port\s*=\s*var\.webhook_port/,
    );
  });
});

describe('terraform: PostgreSQL on CloudNativePG', () => {
  it('runs PostgreSQL 17, one primary and replicas, with one synchronous standby', () => {
    expect(moduleCalls().get('postgres')?.postgres_major).toBe(17);
    expect(defaultOf('postgres_instances')).toBe(3);
    const values = String(resource('postgres', 'helm_release', 'cluster').values);
    expect(values).toMatch(/instances\s*=\s*var\.instances/);
    expect(values).toMatch(/synchronous\s*=\s*\{\s*method\s*=\s*"any"\s*number\s*=\s*1\s*\}/);
    expect(values).toMatch(/enableSuperuserAccess\s*=\s*false/);
  });

  it('bootstraps database and owner `app` with pg_monitor, its password from Secret Manager', () => {
    expect(locals('')).toMatchObject({ database: 'app', owner: 'app' });
    const values = String(resource('postgres', 'helm_release', 'cluster').values);
    expect(values).toMatch(/GRANT pg_monitor TO \$\{var\.owner\}/);
    expect(values).toMatch(/inRoles\s*=\s*\["pg_monitor"\]/);
    const secret = resource('postgres', 'kubernetes_secret_v1', 'credentials');
    expect(secret.type).toBe('kubernetes.io/basic-auth');
    expect(map(secret, 'data').password).toBe(
      '${data.google_secret_manager_secret_version.db_password.secret_data}',
    );
    expect(moduleCalls().get('postgres')?.db_password_secret_id).toBe(
      '${module.secrets.ids.db_password}',
    );
  });

  it('pins both Helm charts to exact versions', () => {
    const releases = resources('helm_release');
    expect(releases.length).toBe(2);
    for (const { name, body } of releases) {
      const variable = String(body.version).match(/^\$\{var\.(\w+)\}$/)?.[1];
      expect(variable, `${name} version comes from a variable`).toBeDefined();
    }
    expect(defaultOf('cnpg_operator_chart_version')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(defaultOf('cnpg_cluster_chart_version')).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('terraform: Cloud Run', () => {
  it('defines both services once: one google_cloud_run_v2_service, for_each over local.services', () => {
    const definitions = resources('google_cloud_run_v2_service');
    expect(definitions.map((r) => `${r.module || 'root'}: ${r.name}`)).toEqual(['run: this']);
    const definition = serviceDefinition();
    expect(definition.for_each).toBe('${local.services}');
    expect(Object.keys(map(locals('run'), 'services')).sort()).toEqual(
      [...CLOUD_RUN_SERVICES].sort(),
    );
    // The names they had as two resources.
    for (const service of CLOUD_RUN_SERVICES) {
      expect(forService(definition.name, service), service).toBe(`\${var.name_prefix}-${service}`);
    }
    // Each service spells out every difference, null where it leaves a default.
    expect(Object.keys(serviceSettings('check')).sort()).toEqual(
      Object.keys(serviceSettings('api')).sort(),
    );
  });

  it("keeps each service's ingress, account, timeout, concurrency, scaling and ignored fields", () => {
    const expected = {
      api: {
        service_account: '${google_service_account.api.email}',
        timeout: '${var.api_timeout_s}s',
        max_instance_request_concurrency: 80,
        min_instance_count: '${var.api_min_instances}',
        max_instance_count: '${var.api_max_instances}',
      },
      check: {
        service_account: '${google_service_account.check.email}',
        timeout: '${var.check_timeout_s}s',
        // Unset, as it always was: Cloud Run's default.
        max_instance_request_concurrency: null,
        min_instance_count: 0,
        max_instance_count: '${var.check_max_instances}',
      },
    };
    const definition = serviceDefinition();
    expect(definition.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(definition.deletion_protection).toBe('${var.deletion_protection}');
    expect(only(definition, 'lifecycle').ignore_changes).toEqual([
      '${client}',
      '${client_version}',
      '${template[0].containers[0].image}',
      '${template[0].revision}',
      '${traffic}',
    ]);
    const scaling = only(only(definition, 'template'), 'scaling');
    for (const [service, settings] of Object.entries(expected)) {
      const template = serviceTemplate(service);
      expect(
        {
          service_account: template.service_account,
          timeout: template.timeout,
          max_instance_request_concurrency: template.max_instance_request_concurrency,
          min_instance_count: forService(scaling.min_instance_count, service),
          max_instance_count: forService(scaling.max_instance_count, service),
        },
        service,
      ).toEqual(settings);
    }
  });

  it("creates each service after its account's secret grants (depends_on holds for every instance)", () => {
    const dependsOn = strings(serviceDefinition().depends_on);
    for (const [service, count] of [
      ['api', 4],
      ['check', 2],
    ] as const) {
      const grants = resources('google_secret_manager_secret_iam_member').filter(
        ({ module, body }) =>
          module === 'run' && String(body.member).includes(`google_service_account.${service}.`),
      );
      expect(grants, service).toHaveLength(count);
      for (const { name } of grants) {
        expect(dependsOn, service).toContain(`\${google_secret_manager_secret_iam_member.${name}}`);
      }
    }
  });

  it('moves an existing state from the old addresses (api, check) to the for_each instances', () => {
    const moved = movedBlocks('run').map((block) => [block.from, block.to]);
    for (const service of CLOUD_RUN_SERVICES) {
      expect(moved, service).toContainEqual([
        `\${google_cloud_run_v2_service.${service}}`,
        `\${google_cloud_run_v2_service.this["${service}"]}`,
      ]);
    }
    // Every target exists: a move to nothing would plan a destroy.
    for (const [, to] of moved) {
      const target = String(to).match(/^\$\{(\w+)\.(\w+)(?:\["(\w+)"\])?\}$/);
      expect(target, String(to)).not.toBeNull();
      const body = resource('run', target?.[1] ?? '', target?.[2] ?? '');
      if (target?.[3] !== undefined) {
        const instances = String(body.for_each).match(/^\$\{local\.(\w+)\}$/)?.[1] ?? '';
        expect(Object.keys(map(locals('run'), instances)), String(to)).toContain(target[3]);
      }
    }
    // Nothing else refers to the old addresses.
    for (const { file, text } of files) {
      const outsideMoved = text.replace(/^moved \{[\s\S]*?^\}/gm, '');
      expect(outsideMoved, file).not.toMatch(/google_cloud_run_v2_service\.(api|check)\b/);
    }
  });

  it('lets only the scheduler service account invoke the check service', () => {
    const bindings = resources(/^google_cloud_run_v2_service_iam_/).filter(
      ({ body }) => body.name === '${google_cloud_run_v2_service.this["check"].name}',
    );
    expect(bindings).toHaveLength(1);
    const binding = bindings[0]?.body ?? {};
    expect(binding.role).toBe('roles/run.invoker');
    expect(binding.member).toBe('serviceAccount:${google_service_account.scheduler.email}');
    expect(forService(serviceDefinition().invoker_iam_disabled, 'check') ?? false).toBe(false);
  });

  it('makes the api service public (Basic auth is in the app)', () => {
    const bindings = resources('google_cloud_run_v2_service_iam_member').filter(
      ({ body }) => body.name === '${google_cloud_run_v2_service.this["api"].name}',
    );
    expect(bindings.map((b) => [b.body.role, b.body.member])).toEqual([
      ['roles/run.invoker', 'allUsers'],
    ]);
  });

  it('grants nothing else to allUsers or allAuthenticatedUsers', () => {
    const open = resources(/_iam_(member|binding)$/).filter(({ body }) =>
      [String(body.member), ...strings(body.members)].some((m) =>
        ['allUsers', 'allAuthenticatedUsers'].includes(m),
      ),
    );
    expect(open.map((r) => `${r.type}.${r.name}`)).toEqual([
      'google_cloud_run_v2_service_iam_member.api_public',
    ]);
  });

  it('sends every service and the job through the VPC connector, private ranges only', () => {
    const connector = '${google_vpc_access_connector.this.id}';
    // One definition for both services: what it says holds for each.
    expect(resources('google_cloud_run_v2_service').map((s) => s.name)).toEqual(['this']);
    expect(Object.keys(map(locals('run'), 'services')).sort()).toEqual(
      [...CLOUD_RUN_SERVICES].sort(),
    );
    const access = only(only(serviceDefinition(), 'template'), 'vpc_access');
    expect(access).toMatchObject({ connector, egress: 'PRIVATE_RANGES_ONLY' });
    const jobs = resources('google_cloud_run_v2_job');
    expect(jobs).toHaveLength(1);
    for (const { name, body } of jobs) {
      const access = only(only(only(body, 'template'), 'template'), 'vpc_access');
      expect(access, name).toMatchObject({ connector, egress: 'PRIVATE_RANGES_ONLY' });
    }
  });

  it('leaves the image to Cloud Build after creation', () => {
    for (const { name, body } of resources('google_cloud_run_v2_service')) {
      expect(strings(only(body, 'lifecycle').ignore_changes), name).toContain(
        '${template[0].containers[0].image}',
      );
    }
    for (const { name, body } of resources('google_cloud_run_v2_job')) {
      expect(strings(only(body, 'lifecycle').ignore_changes), name).toContain(
        '${template[0].template[0].containers[0].image}',
      );
    }
  });

  it('takes images from Artifact Registry, never Container Registry', () => {
    // Per service (the definition's container once for each) and the job's.
    const containers = [
      ...CLOUD_RUN_SERVICES.map(() => only(serviceDefinition(), 'template')),
      ...resources('google_cloud_run_v2_job').map(({ body }) =>
        only(only(body, 'template'), 'template'),
      ),
    ].flatMap((template) => blocks(template, 'containers'));
    expect(containers).toHaveLength(3);
    for (const container of containers) expect(container.image).toBe('${var.image}');
    expect(defaultOf('image')).toMatch(/^[a-z0-9-]+-docker\.pkg\.dev\//);
    // Validated where it enters, the root module; the run module takes it as is.
    const condition = String(only(variables('').get('image') ?? {}, 'validation').condition);
    expect(condition, 'root validates image').toContain('-docker\\\\.pkg\\\\.dev/');
    expect(moduleCalls().get('run')?.image).toBe('${var.image}');
    expect(resource('run', 'google_artifact_registry_repository', 'this').format).toBe('DOCKER');
    for (const { file, text } of files) expect(text, file).not.toMatch(/gcr\.io\//);
  });

  it('puts Secret Manager references in the environment, never values or secret mounts', () => {
    const api = serviceEnv('api');
    const check = serviceEnv('check');
    const migrate = jobEnv();
    expect(api).toMatchObject({
      FUNCTION_TARGET: 'api',
      POSTGRES_MAIN_PASSWORD: '${var.secret_references.db_password}',
      BASIC_AUTH_USERNAME: '${var.secret_references.basic_auth_username}',
      BASIC_AUTH_PASSWORD: '${var.secret_references.basic_auth_password}',
    });
    expect(check).toMatchObject({
      FUNCTION_TARGET: 'replicationCheck',
      POSTGRES_MAIN_PASSWORD: '${var.secret_references.db_password}',
    });
    expect(Object.keys(check).filter((k) => k.startsWith('BASIC_AUTH'))).toEqual([]);
    expect(migrate.POSTGRES_MAIN_PASSWORD).toBe('${var.secret_references.db_password}');
    for (const [name, vars] of Object.entries({ api, check, migrate })) {
      for (const key of [
        'POSTGRES_MAIN_HOST',
        'POSTGRES_USER',
        'POSTGRES_DB',
        'POSTGRES_SSLMODE',
      ]) {
        expect(Object.keys(vars), `${name} sets ${key}`).toContain(key);
      }
      expect(vars.PORT, `${name}: Cloud Run sets PORT`).toBeUndefined();
    }
    const references = String(outputs('secrets').get('references')?.value ?? '');
    expect(references).toContain('gcp:secretmanager:projects/${var.project_id}/secrets/');
    const runText = files
      .filter((f) => f.module === 'run')
      .map((f) => f.text)
      .join('\n');
    expect(runText).not.toMatch(/value_source|secret_key_ref/);
    // The common layers and each service's own, one plain name = value each.
    expect(serviceEnvBlock()).toEqual({
      for_each: '${merge(local.database_env, local.service_env, each.value.env)}',
      content: [{ name: '${env.key}', value: '${env.value}' }],
    });
  });

  it('wires the database hosts and the expected standbys from the postgres module', () => {
    expect(moduleCalls().get('run')).toMatchObject({
      postgres_main_host: '${module.postgres.rw_address}',
      postgres_replication_host: '${module.postgres.ro_address}',
      postgres_instance_addresses: '${module.postgres.instance_addresses}',
      postgres_user: '${module.postgres.owner}',
      postgres_db: '${module.postgres.database}',
      expected_standbys: '${var.postgres_instances - 1}',
      replica_max_slot_retained_bytes: '${var.replica_max_slot_retained_bytes}',
    });
  });

  it('gives both services every instance as POSTGRES_REPLICA_ENDPOINTS, reads still on the ro load balancer', () => {
    expect(expressionText(locals('run').replica_endpoints)).toBe(
      'join(",", [for address in var.postgres_instance_addresses : "${address}:5432"])',
    );
    for (const name of CLOUD_RUN_SERVICES) {
      expect(serviceEnv(name), name).toMatchObject({
        POSTGRES_REPLICA_ENDPOINTS: '${local.replica_endpoints}',
        POSTGRES_REPLICATION_HOST: '${var.postgres_replication_host}',
        REPLICA_MAX_SLOT_RETAINED_BYTES: '${tostring(var.replica_max_slot_retained_bytes)}',
        EXPECTED_STANDBYS: '${tostring(var.expected_standbys)}',
      });
    }
    expect(defaultOf('replica_max_slot_retained_bytes')).toBe(1024 ** 3);
    expect(
      blocks(variables('').get('replica_max_slot_retained_bytes') ?? {}, 'validation'),
    ).toHaveLength(1);
  });

  it('gives the check service a request timeout that fits its window, and the api one for 15 minutes', () => {
    expect(serviceTemplate('check').timeout).toBe('${var.check_timeout_s}s');
    expect(serviceTemplate('api').timeout).toBe('${var.api_timeout_s}s');
    const run = moduleCalls().get('run') ?? {};
    // Windows the variables allow (samples × interval_ms ≤ 60 s), and a slow setup.
    const cases: Record<string, number>[] = [
      {},
      { check_samples: 600, check_interval_ms: 100 },
      { check_samples: 1, check_interval_ms: 60000 },
      { replica_max_lag_ms: 20000, db_query_timeout_ms: 30000, db_connect_timeout_ms: 10000 },
    ];
    for (const overrides of cases) {
      const vars = rootNumbers(overrides);
      const v = (name: string) => vars[name] as number;
      const tailMs = v('replica_max_lag_ms') + v('db_query_timeout_ms') + 1000;
      const windowMs = v('check_samples') * v('check_interval_ms');
      const check = evaluate(run.check_timeout_s, '', vars);
      const api = evaluate(run.api_timeout_s, '', vars);
      const where = JSON.stringify(overrides);
      expect(Number.isInteger(check) && Number.isInteger(api), where).toBe(true);
      // Window + tail, and at least 5 s for a cold start and the answer.
      expect(check * 1000, `check timeout ${where}`).toBeGreaterThanOrEqual(
        windowMs + tailMs + 5000,
      );
      expect(api * 1000, `api timeout ${where}`).toBeGreaterThanOrEqual(
        15 * 60 * 1000 + tailMs + 5000,
      );
      expect(api, `api timeout within Cloud Run's 3600 s ${where}`).toBeLessThanOrEqual(3600);
    }
    // And no more than that: with the defaults a hung run ends within two minutes.
    expect(evaluate(run.check_timeout_s, '', rootNumbers())).toBeLessThan(120);
  });

  it('runs the migration job with the migration entry point of the same image', () => {
    const job = resource('run', 'google_cloud_run_v2_job', 'migrate');
    const container = only(only(only(job, 'template'), 'template'), 'containers');
    expect(container.command).toEqual(['node']);
    expect(container.args).toEqual(['dist/server/migrateMain.js']);
  });
});

describe('terraform: secrets', () => {
  it('grants secret access per secret, never with project-wide roles', () => {
    // The whole body, so a role picked by for_each counts too.
    const projectWide = resources(/^google_(project|folder|organization)_iam_/).filter(({ body }) =>
      JSON.stringify(body).includes('secretmanager'),
    );
    expect(projectWide).toEqual([]);
    expect(resources(/^google_secret_manager_secret_iam_(binding|policy)$/)).toEqual([]);
    const grants = resources('google_secret_manager_secret_iam_member');
    expect(grants.length).toBeGreaterThan(0);
    for (const { name, body } of grants) {
      expect(body.role, name).toBe('roles/secretmanager.secretAccessor');
      expect(String(body.secret_id), name).toMatch(/^\$\{var\.secret_ids\.\w+\}$/);
    }
  });

  it('gives the check service account the database password and nothing else', () => {
    const granted = (account: string) =>
      resources('google_secret_manager_secret_iam_member')
        .filter(({ body }) => String(body.member).includes(`google_service_account.${account}.`))
        .map(({ body }) => String(body.secret_id))
        .sort();
    const ca = '${var.secret_ids.postgres_ca}';
    expect(granted('check')).toEqual(['${var.secret_ids.db_password}', ca]);
    expect(granted('migrate')).toEqual(['${var.secret_ids.db_password}', ca]);
    expect(granted('api')).toEqual([
      '${var.secret_ids.basic_auth_password}',
      '${var.secret_ids.basic_auth_username}',
      '${var.secret_ids.db_password}',
      ca,
    ]);
  });

  it('runs each workload as its own service account', () => {
    const accounts = resources('google_service_account')
      .filter((r) => r.module === 'run')
      .map((r) => r.name)
      .sort();
    expect(accounts).toEqual(['api', 'check', 'migrate', 'scheduler']);
    for (const service of CLOUD_RUN_SERVICES) {
      expect(serviceTemplate(service).service_account, service).toBe(
        `\${google_service_account.${service}.email}`,
      );
    }
  });
});

describe("terraform: TLS verified against the cluster's own CA", () => {
  const dataSource = (module: string, type: string, name: string): Block => {
    const found = declared().filter(
      (d) => d.kind === 'data' && d.module === module && d.type === type && d.name === name,
    );
    expect(found, `${module}: data ${type}.${name}`).toHaveLength(1);
    return (found[0] as Declared).body;
  };

  it("copies CloudNativePG's CA (<cluster>-ca, ca.crt) from the cluster into Secret Manager", () => {
    const ca = dataSource('postgres', 'kubernetes_secret_v1', 'ca');
    expect(only(ca, 'metadata').name).toBe('${local.cluster_name}-ca');
    expect(strings(ca.depends_on)).toContain('${helm_release.cluster}');
    // A CA not created yet stops the apply with a message, never stores an empty one.
    const postcondition = only(only(ca, 'lifecycle'), 'postcondition');
    expect(String(postcondition.condition)).toContain('BEGIN CERTIFICATE');
    expect(String(postcondition.error_message)).toMatch(/apply again/);
    const version = resource('postgres', 'google_secret_manager_secret_version', 'ca');
    expect(version.secret_data).toBe('${data.kubernetes_secret_v1.ca.data["ca.crt"]}');
    expect(version.secret).toBe('projects/${var.project_id}/secrets/${var.ca_secret_id}');
    expect(locals('secrets').secrets).toMatchObject({
      postgres_ca: '${var.name_prefix}-postgres-ca',
    });
    expect(moduleCalls().get('postgres')?.ca_secret_id).toBe('${module.secrets.ids.postgres_ca}');
    // The reference names the version resource: services using it are created after it.
    expect(String(outputs('postgres').get('ca_reference')?.value)).toBe(
      'gcp:secretmanager:${google_secret_manager_secret_version.ca.secret}/versions/latest',
    );
    expect(moduleCalls().get('run')?.postgres_ca_reference).toBe('${module.postgres.ca_reference}');
  });

  it('deploys verify-ca with that CA on the api, the check service and the migration job', () => {
    for (const [name, vars] of Object.entries({
      api: serviceEnv('api'),
      check: serviceEnv('check'),
      migrate: jobEnv(),
    })) {
      expect(vars.POSTGRES_SSLMODE, name).toBe('verify-ca');
      expect(vars.POSTGRES_SSLROOTCERT, name).toBe('${var.postgres_ca_reference}');
    }
  });

  it('sets an environment the app accepts: the mode with a referenced CA', () => {
    const env = jobEnv();
    const config = parseConfig(
      {
        POSTGRES_MAIN_HOST: '10.0.0.5',
        POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/p/secrets/pg-replica-db-password',
        POSTGRES_SSLMODE: String(env.POSTGRES_SSLMODE),
        POSTGRES_SSLROOTCERT:
          'gcp:secretmanager:projects/p/secrets/pg-replica-postgres-ca/versions/latest',
      },
      'migrate',
    );
    expect(config.database.sslMode).toBe('verify-ca');
    expect(config.database.sslRootCert).toMatchObject({ kind: 'reference' });
    expect(config.secrets.settings.POSTGRES_SSLROOTCERT).toMatchObject({ kind: 'reference' });
    // And without it the same mode stops start-up, naming what is missing.
    expect(() =>
      parseConfig(
        { POSTGRES_MAIN_HOST: 'h', POSTGRES_MAIN_PASSWORD: 'x', POSTGRES_SSLMODE: 'verify-ca' },
        'migrate',
      ),
    ).toThrow(ConfigError);
  });

  it('explains the choice of verify-ca over verify-full in the README', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.split(/^## /m).find((part) => part.startsWith('TLS to PostgreSQL'));
    expect(section, 'README has a "TLS to PostgreSQL" section').toBeDefined();
    expect(section).toMatch(/verify-full/);
    expect(section).toMatch(/serverAltDNSNames/);
  });
});

describe('terraform: monitoring', () => {
  it('calls the check every minute with an OIDC token of the scheduler account', () => {
    const job = resource('monitoring', 'google_cloud_scheduler_job', 'replication_check');
    const schedule = String(job.schedule).match(/^\$\{var\.(\w+)\}$/)?.[1];
    expect(schedule).toBe('schedule');
    expect(moduleCalls().get('monitoring')?.schedule).toBe('* * * * *');
    const target = only(job, 'http_target');
    expect(target.http_method).toBe('POST');
    expect(blocks(target, 'oauth_token')).toEqual([]);
    expect(only(target, 'oidc_token')).toEqual({
      service_account_email: '${var.scheduler_service_account_email}',
      audience: '${var.check_url}',
    });
    expect(moduleCalls().get('monitoring')?.scheduler_service_account_email).toBe(
      '${module.run.scheduler_service_account_email}',
    );
  });

  it('runs a sampling window that covers the minute: samples × interval_ms ≤ 60 s', () => {
    const target = only(
      resource('monitoring', 'google_cloud_scheduler_job', 'replication_check'),
      'http_target',
    );
    expect(target.uri).toBe(
      '${var.check_url}/replication_check?samples=${var.check_samples}&interval_ms=${var.check_interval_ms}',
    );
    expect(moduleCalls().get('monitoring')).toMatchObject({
      check_samples: '${var.check_samples}',
      check_interval_ms: '${var.check_interval_ms}',
    });
    expect(defaultOf('check_samples')).toBe(60);
    expect(defaultOf('check_interval_ms')).toBe(1000);
    const condition = String(
      only(variables('').get('check_samples') ?? {}, 'validation').condition,
    ).replace(/\s+/g, ' ');
    expect(condition).toContain('var.check_samples * var.check_interval_ms <= 60000');
    for (const [name, low, high] of [
      ['check_samples', 1, 600],
      ['check_interval_ms', 100, 60000],
    ] as const) {
      const text = String(only(variables('').get(name) ?? {}, 'validation').condition);
      expect(text, name).toContain(`var.${name} >= ${low}`);
      expect(text, name).toContain(`var.${name} <= ${high}`);
    }
  });

  it("gives the scheduler an attempt deadline that outlasts the check service's timeout", () => {
    const job = resource('monitoring', 'google_cloud_scheduler_job', 'replication_check');
    expect(job.attempt_deadline).toBe('${var.attempt_deadline_s}s');
    const monitoring = moduleCalls().get('monitoring') ?? {};
    const run = moduleCalls().get('run') ?? {};
    const cases: Record<string, number>[] = [
      {},
      { check_samples: 600, check_interval_ms: 100 },
      { replica_max_lag_ms: 20000, db_query_timeout_ms: 30000, db_connect_timeout_ms: 10000 },
    ];
    for (const overrides of cases) {
      const vars = rootNumbers(overrides);
      const v = (name: string) => vars[name] as number;
      const where = JSON.stringify(overrides);
      const deadline = evaluate(monitoring.attempt_deadline_s, '', vars);
      const windowMs = v('check_samples') * v('check_interval_ms');
      const tailMs = v('replica_max_lag_ms') + v('db_query_timeout_ms') + 1000;
      expect(deadline * 1000, where).toBeGreaterThanOrEqual(windowMs + tailMs + 5000);
      expect(deadline, where).toBeGreaterThanOrEqual(evaluate(run.check_timeout_s, '', vars));
      expect(deadline, `Cloud Scheduler allows 15 s to 1800 s ${where}`).toBeGreaterThanOrEqual(15);
      expect(deadline, `Cloud Scheduler allows 15 s to 1800 s ${where}`).toBeLessThanOrEqual(1800);
    }
    const validation = String(
      only(variables('monitoring').get('attempt_deadline_s') ?? {}, 'validation').condition,
    );
    expect(validation).toContain('var.attempt_deadline_s >= 15');
    expect(validation).toContain('var.attempt_deadline_s <= 1800');
  });

  it('checks /status of the api service', () => {
    const uptime = resource('monitoring', 'google_monitoring_uptime_check_config', 'api_status');
    expect(only(uptime, 'http_check')).toMatchObject({ path: '/status', use_ssl: true });
    expect(moduleCalls().get('monitoring')?.api_url).toBe('${module.run.api_url}');
  });

  it("turns the check's log line into a worst-lag distribution and failures counted by type", () => {
    const lag = resource('monitoring', 'google_logging_metric', 'lag');
    expect(lag.value_extractor).toBe('EXTRACT(jsonPayload.lag_ms)');
    expect(only(lag, 'metric_descriptor')).toMatchObject({
      metric_kind: 'DELTA',
      value_type: 'DISTRIBUTION',
    });
    const filter = String(locals('monitoring').check_log_filter);
    expect(filter).toContain('jsonPayload.check=\\"replication\\"');
    expect(filter).toContain('resource.labels.service_name=\\"${var.check_service_name}\\"');
    expect(String(lag.filter)).toContain('severity=INFO');
    const failures = resource('monitoring', 'google_logging_metric', 'failures');
    expect(String(failures.filter)).toContain('severity=ERROR');
    expect(map(failures, 'label_extractors')).toEqual({
      type: 'EXTRACT(jsonPayload.failure_type)',
    });
    expect(blocks(only(failures, 'metric_descriptor'), 'labels')).toEqual([
      expect.objectContaining({ key: 'type', value_type: 'STRING' }),
    ]);
  });

  it('charts the p50 and p99 lag of every replica position, one position per instance', () => {
    // Positions follow the instances: the postgres module's names, in the
    // order of its addresses (POSTGRES_REPLICA_ENDPOINTS).
    expect(moduleCalls().get('monitoring')?.replica_instances).toBe(
      '${module.postgres.instance_names}',
    );
    const monitoringLocals = locals('monitoring');
    expect(expressionText(monitoringLocals.replica_positions)).toBe(
      '{ for index, instance in var.replica_instances : "r${index + 1}" => instance }',
    );
    expect(monitoringLocals.lag_statistics).toEqual(['p50', 'p99']);
    expect(expressionText(monitoringLocals.replica_lag_metrics)).toBe(
      '{ for pair in setproduct(keys(local.replica_positions), local.lag_statistics) : "${pair[0]}-${pair[1]}" => { position = pair[0], statistic = pair[1] } }',
    );
    const metric = resource('monitoring', 'google_logging_metric', 'replica_lag');
    expect(metric.for_each).toBe('${local.replica_lag_metrics}');
    const field = 'jsonPayload.replica_lag_ms.${each.value.position}.${each.value.statistic}';
    expect(metric.value_extractor).toBe(`EXTRACT(${field})`);
    // Only runs in which this replica showed a value: null is no point, not 0.
    expect(metric.filter).toBe(`\${local.check_log_filter} AND ${field}>=0`);
    expect(String(metric.name)).toContain('${each.value.position}-${each.value.statistic}');
    expect(only(metric, 'metric_descriptor')).toMatchObject({
      metric_kind: 'DELTA',
      value_type: 'DISTRIBUTION',
      unit: 'ms',
    });
    // Every instance the root module allows gets a position, within the
    // monitoring module's bound (one alert condition per position).
    const rootMax = String(
      only(variables('').get('postgres_instances') ?? {}, 'validation').condition,
    ).match(/var\.postgres_instances <= (\d+)/)?.[1];
    const positionsMax = String(
      only(variables('monitoring').get('replica_instances') ?? {}, 'validation').condition,
    ).match(/length\(var\.replica_instances\) <= (\d+)/)?.[1];
    expect(Number(rootMax)).toBeGreaterThanOrEqual(numberDefault('postgres_instances'));
    expect(Number(rootMax)).toBeLessThanOrEqual(Number(positionsMax));
    expect(Number(positionsMax), 'Cloud Monitoring: 6 conditions per policy').toBeLessThanOrEqual(
      6,
    );
    // Exponential buckets from well under 1 ms to about 30 s (at least twice
    // the p99 alert's threshold, so it falls in a finite bucket).
    const buckets = only(only(metric, 'bucket_options'), 'exponential_buckets');
    const vars = { replica_max_lag_ms: numberDefault('replica_max_lag_ms') };
    const scale = evaluate(buckets.scale, 'monitoring', vars);
    const growth = evaluate(buckets.growth_factor, 'monitoring', vars);
    const count = evaluate(buckets.num_finite_buckets, 'monitoring', vars);
    expect(scale).toBeLessThan(0.5);
    expect(scale * growth ** count).toBeGreaterThanOrEqual(30000);
    expect(scale * growth ** count).toBeLessThan(60000);
    const slow = { replica_max_lag_ms: 60000 };
    const slowCount = evaluate(buckets.num_finite_buckets, 'monitoring', slow);
    expect(scale * growth ** slowCount).toBeGreaterThanOrEqual(2 * 60000);
  });

  it("alerts on failed checks, uptime, lag, a silent check, a lost slot, a failover and each replica's freshness budget burning, to the configured channels", () => {
    const policies = resources('google_monitoring_alert_policy');
    expect(policies.map((p) => p.name).sort()).toEqual(
      ['check_absent', 'check_failed', 'failover', 'lag', 'slo_burn', 'slot_lost', 'uptime'].sort(),
    );
    for (const { name, body } of policies) {
      expect(body.notification_channels, name).toBe('${var.notification_channels}');
    }
    const policy = (name: string) => resource('monitoring', 'google_monitoring_alert_policy', name);
    const condition = (name: string) => only(policy(name), 'conditions');
    expect(String(only(condition('check_failed'), 'condition_threshold').filter)).toBe(
      '${local.failure_metric}',
    );
    expect(String(only(condition('uptime'), 'condition_threshold').filter)).toContain(
      'uptime_check/check_passed',
    );
    expect(only(condition('check_absent'), 'condition_absent').filter).toBe('${local.lag_metric}');
    expect(moduleCalls().get('monitoring')?.notification_channels).toBe(
      '${var.alert_notification_channels}',
    );
  });

  it("alerts on each replica position's median above the lag threshold, and on no p99 threshold (the freshness SLO's burn rates do)", () => {
    const body = resource('monitoring', 'google_monitoring_alert_policy', 'lag');
    // One condition per position (dynamic over the positions), none fixed.
    expect(blocks(body, 'conditions')).toEqual([]);
    const dynamic = blocks(map(body, 'dynamic'), 'conditions');
    expect(dynamic).toHaveLength(1);
    expect(dynamic[0]?.for_each).toBe('${local.replica_positions}');
    const thresholdCondition = only(only(dynamic[0] ?? {}, 'content'), 'condition_threshold');
    expect(thresholdCondition).toMatchObject({
      filter: '${local.replica_lag_p50_metric[conditions.key]}',
      comparison: 'COMPARISON_GT',
      threshold_value: '${var.lag_alert_threshold_ms}',
    });
    expect(only(thresholdCondition, 'aggregations')).toMatchObject({
      alignment_period: '600s',
      per_series_aligner: 'ALIGN_PERCENTILE_50',
    });
    expect(expressionText(locals('monitoring').replica_lag_p50_metric)).toContain(
      'for position in keys(local.replica_positions) : position => "metric.type=\\"logging.googleapis.com/user/${google_logging_metric.replica_lag["${position}-p50"].name}\\"',
    );
    // The p99 threshold alert is gone: nothing alerts on a p99 metric or aligner.
    for (const { policy, instance, condition, filter } of alertConditions()) {
      const where = `${policy}${instance ? `["${instance}"]` : ''}`;
      for (const aggregation of blocks(condition, 'aggregations')) {
        expect(aggregation.per_series_aligner, where).not.toBe('ALIGN_PERCENTILE_99');
      }
      for (const metric of definedMetrics(filter, where, monitoringScope())) {
        expect(metric.key ?? '', where).not.toMatch(/-p99$/);
      }
    }
  });

  it('alerts only on metrics the configuration defines', () => {
    // Each condition's filter, evaluated (one per position for the lag
    // policies), for several instance counts.
    for (const count of [2, 3, 5]) {
      const scope = monitoringScope(count);
      const conditions = alertConditions(scope);
      // Five fixed, the median per position, and per position two burn-rate
      // policies of two windows each.
      expect(conditions.length).toBe(5 + count + 4 * count);
      const reading = conditions.filter(
        ({ policy, filter }) =>
          definedMetrics(filter, `${policy} (${count} instances)`, scope).length > 0,
      );
      expect(reading.length).toBe(conditions.length - 1); // all but the uptime check
    }
  });

  it('alerts on any run that finds a slot lost or unreserved, and on any failover', () => {
    for (const [policy, metric] of [
      ['slot_lost', 'slot_lost'],
      ['failover', 'failover'],
    ] as const) {
      const conditions = alertConditions().filter((c) => c.policy === policy);
      expect(conditions, policy).toHaveLength(1);
      const { condition, filter } = conditions[0] as AlertCondition;
      expect(definedMetrics(filter, policy, monitoringScope()), policy).toEqual([
        { name: metric, key: undefined },
      ]);
      // Any occurrence: a count above 0, at once, and a window without runs
      // reporting one is "nothing happened" (the incident closes).
      expect(condition, policy).toMatchObject({
        comparison: 'COMPARISON_GT',
        threshold_value: 0,
        duration: '0s',
        evaluation_missing_data: 'EVALUATION_MISSING_DATA_INACTIVE',
      });
      const aggregation = only(condition, 'aggregations');
      expect(['ALIGN_SUM', 'ALIGN_DELTA', 'ALIGN_COUNT'], policy).toContain(
        aggregation.per_series_aligner,
      );
      expect([undefined, 'REDUCE_SUM', 'REDUCE_COUNT'], policy).toContain(
        aggregation.cross_series_reducer,
      );
      // A short window: the next runs' occurrences keep the incident open.
      expect(Number.parseInt(String(aggregation.alignment_period), 10), policy).toBeLessThanOrEqual(
        300,
      );
      for (const trigger of blocks(condition, 'trigger')) expect(trigger.count, policy).toBe(1);
      // Counted per run, from the check's line.
      const body = resource('monitoring', 'google_logging_metric', metric);
      expect(only(body, 'metric_descriptor'), metric).toMatchObject({
        metric_kind: 'DELTA',
        value_type: 'INT64',
      });
      expect(String(body.filter), metric).toMatch(/^\$\{local\.check_log_filter\} AND /);
      // What to do, in the notification.
      const documentation = only(
        resource('monitoring', 'google_monitoring_alert_policy', policy),
        'documentation',
      );
      expect(String(documentation.content).length, policy).toBeGreaterThan(200);
    }
    // A comparison with the failures array matches when any element does.
    const slotLost = resource('monitoring', 'google_logging_metric', 'slot_lost');
    expect(slotLost.filter).toBe('${local.check_log_filter} AND jsonPayload.failures="slot-lost"');
    expect(FAILURE_TYPES).toContain('slot-lost');
    const failover = resource('monitoring', 'google_logging_metric', 'failover');
    expect(failover.filter).toBe('${local.check_log_filter} AND jsonPayload.failover=true');
  });
});

describe('terraform: dashboard', () => {
  it("charts each replica position's p50 and p99 lag: one data set per position and statistic, named by its instance", () => {
    for (const count of [1, 3, 6]) {
      const scope = monitoringScope(count);
      const instances = sampleInstances(count);
      const lag = dataSets(dashboardJson(count)).flatMap((set) =>
        definedMetrics(set.filter, set.widget, scope)
          .filter((m) => m.name === 'replica_lag')
          .map((m) => ({ ...set, key: m.key ?? '' })),
      );
      // Exactly the metric's for_each keys, each once.
      const keys = Object.keys(
        objectOf(
          hclValue(resource('monitoring', 'google_logging_metric', 'replica_lag').for_each, scope),
          'replica_lag',
        ),
      );
      expect(keys).toHaveLength(2 * count);
      expect(lag.map((l) => l.key).sort(), `${count} instances`).toEqual([...keys].sort());
      for (const { key, dataSet, aggregation } of lag) {
        const [position, statistic] = key.split('-');
        const instance = instances[Number(position?.slice(1)) - 1] ?? '?';
        expect(String(dataSet.legendTemplate), key).toContain(instance);
        const percentile = statistic?.slice(1);
        const aligned = aggregation.perSeriesAligner === `ALIGN_PERCENTILE_${percentile}`;
        const reduced =
          aggregation.perSeriesAligner === 'ALIGN_DELTA' &&
          aggregation.crossSeriesReducer === `REDUCE_PERCENTILE_${percentile}`;
        expect(aligned || reduced, `${key}: ${JSON.stringify(aggregation)}`).toBe(true);
      }
    }
  });

  it('charts failed checks by type, and the runs with a lost slot or a failover', () => {
    const sets = dataSets(dashboardJson());
    const reading = (name: string) =>
      sets.filter((set) =>
        definedMetrics(set.filter, set.widget, monitoringScope()).some((m) => m.name === name),
      );
    const failures = reading('failures');
    expect(failures.length).toBeGreaterThan(0);
    for (const { aggregation } of failures) {
      expect(aggregation.groupByFields).toEqual(['metric.label.type']);
      expect(aggregation.crossSeriesReducer).toBe('REDUCE_SUM');
    }
    expect(reading('slot_lost').length).toBeGreaterThan(0);
    expect(reading('failover').length).toBeGreaterThan(0);
  });

  it("charts the api's requests by response class, its latency p50 and p99, its 5xx, and both services' instances", () => {
    const run = dataSets(dashboardJson()).flatMap((set) => {
      const [type] = metricTypes(set.filter);
      const service = set.filter.match(/resource\.labels?\.service_name\s*=\s*"([^"]*)"/)?.[1];
      return type?.startsWith('run.googleapis.com/') ? [{ ...set, type, service }] : [];
    });
    const api = '${var.api_service_name}';
    const fiveXx = /metric\.labels?\.response_code_class\s*=\s*"5xx"/;
    const requests = run.filter(
      (r) => r.type === 'run.googleapis.com/request_count' && !fiveXx.test(r.filter),
    );
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.service).toBe(api);
      expect(r.aggregation.perSeriesAligner).toBe('ALIGN_RATE');
      expect(r.aggregation.groupByFields).toEqual(['metric.label.response_code_class']);
    }
    const latency = run.filter((r) => r.type === 'run.googleapis.com/request_latencies');
    expect(latency.map((r) => r.service)).toEqual([api, api]);
    expect(latency.map((r) => r.aggregation.crossSeriesReducer).sort()).toEqual([
      'REDUCE_PERCENTILE_50',
      'REDUCE_PERCENTILE_99',
    ]);
    for (const r of latency) expect(r.aggregation.perSeriesAligner).toBe('ALIGN_DELTA');
    const errors = run.filter(
      (r) => r.type === 'run.googleapis.com/request_count' && fiveXx.test(r.filter),
    );
    expect(errors.map((r) => r.service)).toEqual([api]);
    const instances = run.filter((r) => r.type === 'run.googleapis.com/container/instance_count');
    expect(instances.map((r) => r.service).sort()).toEqual([...RUN_SERVICE_VARIABLES].sort());
  });

  it('charts only metrics the configuration defines, or Cloud Run built-ins of its own services', () => {
    for (const count of [1, 3]) {
      const dashboard = dashboardJson(count);
      const scope = monitoringScope(count);
      // Every widget reads something; nothing in a query language these tests cannot read.
      for (const widget of dashboardWidgets(dashboard)) {
        expect(allFilters(widget).length, String(widget.title)).toBeGreaterThan(0);
      }
      const text = JSON.stringify(dashboard);
      for (const language of ['timeSeriesQueryLanguage', 'prometheusQuery']) {
        expect(text).not.toContain(language);
      }
      for (const filter of allFilters(dashboard)) definedMetrics(filter, 'dashboard', scope);
      // What is left unresolved: the module's variables and the metrics' names.
      const declared = variables('monitoring');
      for (const reference of allStrings(dashboard).flatMap(references)) {
        const variable = reference.match(/^var\.(\w+)$/)?.[1];
        if (variable !== undefined) expect(declared.has(variable), reference).toBe(true);
        else
          expect(reference).toMatch(
            /^(google_logging_metric\.\w+(\["[^"]+"\])?\.name|google_monitoring_slo\.\w+\["[^"]+"\]\.id)$/,
          );
      }
    }
    // The services are the run module's.
    expect(moduleCalls().get('monitoring')).toMatchObject({
      api_service_name: '${module.run.api_service_name}',
      check_service_name: '${module.run.check_service_name}',
    });
    expect(outputs('run').get('api_service_name')?.value).toBe(
      '${google_cloud_run_v2_service.this["api"].name}',
    );
    expect(outputs('run').get('check_service_name')?.value).toBe(
      '${google_cloud_run_v2_service.this["check"].name}',
    );
  });

  it('outputs the dashboard id', () => {
    expect(outputs('monitoring').get('dashboard_id')?.value).toBe(
      '${google_monitoring_dashboard.replication.id}',
    );
    expect(outputs('').get('dashboard_id')?.value).toBe('${module.monitoring.dashboard_id}');
  });
});

/** Resources and data sources of every module: the types whose API calls need an enabled API. */
interface Declared {
  module: string;
  kind: 'resource' | 'data';
  type: string;
  name: string;
  body: Block;
}

function declared(): Declared[] {
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

/**
 * The APIs (without `.googleapis.com`) a google_ resource or data source type
 * calls, by type prefix, first match. A google_ type that matches none fails
 * the tests: say here what it calls.
 */
const APIS_BY_TYPE: [RegExp, string[]][] = [
  // Service Usage enables the others: it is on in every new project.
  [/^google_project_service$/, []],
  // The provider's own credentials, no API call.
  [/^google_client_config$/, []],
  [/^google_project_iam_/, ['cloudresourcemanager']],
  [/^google_service_account/, ['iam']],
  [/^google_compute_/, ['compute']],
  [/^google_container_/, ['container', 'compute']],
  [/^google_vpc_access_/, ['vpcaccess', 'compute']],
  [/^google_secret_manager_/, ['secretmanager']],
  [/^google_cloud_run_v2_/, ['run']],
  [/^google_artifact_registry_/, ['artifactregistry']],
  [/^google_cloud_scheduler_/, ['cloudscheduler']],
  [/^google_logging_/, ['logging']],
  [/^google_monitoring_/, ['monitoring']],
];

function apisOf(type: string): string[] {
  if (!type.startsWith('google_')) return [];
  const found = APIS_BY_TYPE.find(([pattern]) => pattern.test(type));
  if (found === undefined) throw new Error(`no API known for ${type}: add it to APIS_BY_TYPE`);
  return found[1].map((api) => `${api}.googleapis.com`);
}

/** The APIs google_project_service.enabled enables (services.tf). */
function enabledApis(): string[] {
  const forEach = resource('', 'google_project_service', 'enabled').for_each;
  return listOf(hclValue(forEach, { module: '', vars: {} }), 'enabled APIs').map(String);
}

/**
 * The APIs a depends_on list waits for: the keys of
 * google_project_service.enabled["…"], `*` for the whole resource.
 */
function apisWaitedFor(dependsOn: unknown): string[] {
  return strings(dependsOn).flatMap((entry) => {
    const match = entry.match(/^\$\{google_project_service\.enabled(?:\["([^"]+)"\])?\}$/);
    return match ? [match[1] ?? '*'] : [];
  });
}

/** A reference to a log-based metric: `key` undefined for every instance of it. */
const LOG_METRIC_REFERENCE = /google_logging_metric\.(\w+)(?:\[\s*"([^"]*)"\s*\])?/g;

/**
 * The log-based metrics a value refers to, through the locals it reads too.
 * A key that is an expression (`["${position}-p50"]`) stands for every key.
 */
function logMetricsReferenced(
  value: unknown,
  module: string,
  seen = new Set<string>(),
): LogMetricReference[] {
  const text = allStrings(value).join('\n');
  const found = [...text.matchAll(LOG_METRIC_REFERENCE)].map((m) => ({
    name: m[1] ?? '',
    key: m[2]?.includes('${') ? undefined : m[2],
  }));
  for (const [, local] of text.matchAll(/\blocal\.(\w+)/g)) {
    if (local === undefined || seen.has(local)) continue;
    seen.add(local);
    found.push(...logMetricsReferenced(locals(module)[local], module, seen));
  }
  // An SLO reads the metrics of its SLI: what reads the SLO reads them too.
  for (const [, slo] of text.matchAll(/\bgoogle_monitoring_slo\.(\w+)/g)) {
    if (slo === undefined || seen.has(`slo.${slo}`)) continue;
    seen.add(`slo.${slo}`);
    for (const { body } of resources('google_monitoring_slo').filter(
      (r) => r.module === module && r.name === slo,
    )) {
      found.push(...logMetricsReferenced(only(body, 'request_based_sli'), module, seen));
    }
  }
  return found;
}

/** hashicorp/time 0.13.1's time_sleep (resource_time_sleep.go): its arguments and duration format. */
const TIME_SLEEP_ARGUMENTS = ['create_duration', 'destroy_duration', 'triggers'];
const META_ARGUMENTS = ['count', 'depends_on', 'for_each', 'lifecycle', 'provider'];
const TIME_SLEEP_DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;

function durationSeconds(duration: string): number {
  const match = duration.match(TIME_SLEEP_DURATION);
  if (!match) throw new Error(`${duration} is not a time_sleep duration`);
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return Number(match[1]) * (unit[match[2] ?? ''] ?? Number.NaN);
}

describe('terraform: a first apply in order', () => {
  it('enables every API a resource or data source calls, Cloud Resource Manager included', () => {
    const enabled = enabledApis();
    // google_project_iam_member (the GKE nodes' roles, the deployer's) calls it.
    expect(enabled).toContain('cloudresourcemanager.googleapis.com');
    const calls = declared().filter((d) => apisOf(d.type).length > 0);
    expect(calls.length).toBeGreaterThan(20);
    for (const { module, kind, type, name } of calls) {
      for (const api of apisOf(type)) {
        expect(enabled, `${module || 'root'}: ${kind} ${type}.${name} calls ${api}`).toContain(api);
      }
    }
  });

  it("makes every module call (and root resource) that calls a Google API depend on that API's enablement", () => {
    const enabled = enabledApis();
    const needing: string[] = [];
    for (const [call, body] of moduleCalls()) {
      const folder = String(body.source).match(/^\.\/modules\/([\w-]+)$/)?.[1];
      expect(folder, `module ${call}: a local module`).toBeDefined();
      const needed = new Set(
        declared()
          .filter((d) => d.module === folder)
          .flatMap((d) => apisOf(d.type)),
      );
      const waited = apisWaitedFor(body.depends_on);
      for (const api of waited.filter((a) => a !== '*')) {
        expect(enabled, `module ${call}: depends_on an API services.tf enables`).toContain(api);
      }
      if (needed.size > 0) needing.push(call);
      for (const api of needed) {
        const waits = waited.includes('*') || waited.includes(api);
        expect(waits, `module ${call}: depends_on google_project_service.enabled["${api}"]`).toBe(
          true,
        );
      }
    }
    expect(needing.sort()).toEqual(['gke', 'monitoring', 'network', 'postgres', 'run', 'secrets']);
    // Outside the modules: the enablement itself, and what calls no API.
    for (const { kind, type, name, body } of declared().filter((d) => d.module === '')) {
      if (type === 'google_project_service') continue;
      const waited = apisWaitedFor(body.depends_on);
      for (const api of apisOf(type)) {
        expect(
          waited.includes('*') || waited.includes(api),
          `root: ${kind} ${type}.${name} depends_on google_project_service.enabled["${api}"]`,
        ).toBe(true);
      }
    }
  });

  it('makes everything but the dashboard that reads a log-based metric wait on a time_sleep its id triggers', () => {
    const sleeps = resources('time_sleep');
    expect(sleeps.length).toBeGreaterThan(0);
    const triggers = (sleep: Resource): LogMetricReference[] =>
      logMetricsReferenced(sleep.body.triggers, sleep.module);
    // What reads a log-based metric, by the references in it (alert policies
    // through their filters' locals). Charts may show a metric before it has
    // data, and the metrics and the sleeps are what is waited for.
    const exempt = ['google_logging_metric', 'google_monitoring_dashboard', 'time_sleep'];
    const readers = resources()
      .filter((r) => !exempt.includes(r.type))
      .map((r) => ({ ...r, metrics: logMetricsReferenced(r.body, r.module) }))
      .filter((r) => r.metrics.length > 0);
    // Every alert policy whose conditions read a logging.googleapis.com/user/ metric is one.
    for (const count of [1, 3]) {
      const scope = monitoringScope(count);
      const policies = new Set(
        alertConditions(scope)
          .filter((c) => definedMetrics(c.filter, c.policy, scope).length > 0)
          .map((c) => c.policy),
      );
      expect(policies.size).toBeGreaterThanOrEqual(6);
      const found = readers.filter((r) => r.type === 'google_monitoring_alert_policy');
      expect(found.map((r) => r.name).sort()).toEqual([...policies].sort());
    }
    for (const reader of readers) {
      const where = `${reader.module || 'root'}: ${reader.type}.${reader.name}`;
      // The sleeps it waits for: in depends_on, or read (time_sleep.X.…).
      const waited = new Set(
        allStrings(reader.body).flatMap((text) =>
          [...text.matchAll(/\btime_sleep\.(\w+)/g)].map((m) => m[1] ?? ''),
        ),
      );
      const waitsFor = sleeps.filter((s) => s.module === reader.module && waited.has(s.name));
      expect(waitsFor.length, `${where} waits on a time_sleep`).toBeGreaterThan(0);
      for (const metric of reader.metrics) {
        const covered = waitsFor.some((sleep) =>
          triggers(sleep).some(
            (t) =>
              t.name === metric.name &&
              (t.key === undefined || (metric.key !== undefined && t.key === metric.key)),
          ),
        );
        const metricName = `google_logging_metric.${metric.name}${metric.key ? `["${metric.key}"]` : ''}`;
        expect(covered, `${where} waits on a time_sleep triggered by ${metricName}`).toBe(true);
      }
    }
  });

  it("sleeps at least 10 minutes, with hashicorp/time's time_sleep arguments only", () => {
    const sleeps = resources('time_sleep');
    expect(sleeps.length).toBeGreaterThan(0);
    for (const { module, name, body } of sleeps) {
      const where = `${module || 'root'}: time_sleep.${name}`;
      for (const key of Object.keys(body)) {
        expect([...TIME_SLEEP_ARGUMENTS, ...META_ARGUMENTS], `${where}: ${key}`).toContain(key);
      }
      for (const key of ['create_duration', 'destroy_duration']) {
        if (body[key] !== undefined)
          expect(String(body[key]), `${where}: ${key}`).toMatch(TIME_SLEEP_DURATION);
      }
      // Up to 10 minutes before Cloud Monitoring knows a new metric (provider issue 11102).
      expect(durationSeconds(String(body.create_duration)), where).toBeGreaterThanOrEqual(600);
      // triggers is a map of strings: replaced (and slept again) when one changes.
      expect(typeof body.triggers, `${where}: triggers`).toBe('string');
    }
  });
});

describe('terraform: variables, outputs, providers', () => {
  it('gives every variable of every module a description and a type', () => {
    for (const module of moduleNames()) {
      for (const [name, body] of variables(module)) {
        const where = `${module || 'root'}: variable ${name}`;
        expect(typeof body.description === 'string' && body.description.length > 0, where).toBe(
          true,
        );
        expect(typeof body.type === 'string' && body.type.length > 0, where).toBe(true);
      }
    }
  });

  it('declares variables in alphabetical order', () => {
    for (const { file, text } of files) {
      const names = [...text.matchAll(/^variable "([^"]+)"/gm)].map((m) => m[1] ?? '');
      expect(names, file).toEqual([...names].sort());
    }
  });

  it('gives every validation a plain-English message, and every default passes its regex validation', () => {
    for (const module of moduleNames()) {
      for (const [name, body] of variables(module)) {
        for (const validation of blocks(body, 'validation')) {
          // A sentence saying what is expected, not an expression or a bare "invalid".
          expect(String(validation.error_message), name).toMatch(/^[A-Za-z].{29,}[.)]$/);
          const regex = String(validation.condition).match(
            /can\(regex\("((?:[^"\\]|\\.)*)", var\.(\w+)\)\)/,
          );
          if (regex && typeof body.default === 'string' && regex[2] === name) {
            expect(body.default, `${name} default`).toMatch(new RegExp(hclString(regex[1] ?? '')));
          }
        }
      }
    }
  });

  it('validates each input once, where it enters: no module validates again what the root passes on', () => {
    const root = variables('');
    // Module variables with a validation, by the expression the root gives them.
    const validated = new Map<string, string[]>();
    for (const [module, call] of moduleCalls()) {
      const declared = variables(module);
      for (const [input, value] of Object.entries(call)) {
        const body = declared.get(input);
        if (body === undefined || typeof value !== 'string') continue;
        const where = `module ${module}: variable ${input}`;
        const rootVariable = value.match(/^\$\{var\.(\w+)\}$/)?.[1];
        if (rootVariable !== undefined) {
          expect(root.has(rootVariable), where).toBe(true);
          expect(
            blocks(body, 'validation'),
            `${where} is var.${rootVariable} as is: validate it in the root module only`,
          ).toEqual([]);
        }
        if (blocks(body, 'validation').length > 0) {
          validated.set(value, [...(validated.get(value) ?? []), where]);
        }
      }
    }
    // A value computed in the root or another module's output: one validation at most.
    for (const [value, where] of validated) {
      expect(where, `${value} validated once`).toHaveLength(1);
    }
  });

  it('describes every output', () => {
    for (const module of moduleNames()) {
      for (const [name, body] of outputs(module)) {
        expect(String(body.description ?? ''), `${module || 'root'}: output ${name}`).not.toBe('');
      }
    }
    const root = outputs('');
    for (const name of ['api_url', 'check_url', 'artifact_registry', 'migration_job_name']) {
      expect(root.has(name), `root output ${name}`).toBe(true);
    }
  });

  it('passes every module exactly the inputs it declares, and all it requires', () => {
    const meta = new Set(['source', 'version', 'depends_on', 'providers', 'count', 'for_each']);
    for (const [module, call] of moduleCalls()) {
      const declared = variables(module);
      const passed = Object.keys(call).filter((key) => !meta.has(key));
      for (const input of passed) {
        expect(declared.has(input), `module ${module} declares ${input}`).toBe(true);
      }
      for (const [name, body] of declared) {
        if (!('default' in body))
          expect(passed, `module ${module} is given ${name}`).toContain(name);
      }
    }
  });

  it('pins every provider, in the root and in every module', () => {
    for (const module of moduleNames()) {
      const terraformBlocks = jsonOf(module).flatMap((json) => blocks(json, 'terraform'));
      const providers = terraformBlocks.flatMap((t) => blocks(t, 'required_providers'));
      expect(providers.length, `${module || 'root'} has required_providers`).toBe(1);
      const entries = Object.entries(providers[0] ?? {});
      expect(entries.length).toBeGreaterThan(0);
      for (const [name, requirement] of entries) {
        const version = isBlock(requirement) ? String(requirement.version ?? '') : '';
        // "~> x.y" or an upper bound: never an open-ended ">=" alone.
        expect(version, `${module || 'root'}: ${name}`).toMatch(
          /^(~>\s*\d+\.\d+|=?\s*\d+\.\d+\.\d+$|.*<)/,
        );
        expect(isBlock(requirement) && requirement.source, name).toBe(`hashicorp/${name}`);
      }
      expect(String(terraformBlocks[0]?.required_version ?? '')).toMatch(/\d/);
    }
  });

  it('declares the provider of every resource type, in its module and in the root, at one version everywhere', () => {
    const required = (module: string): Block =>
      Object.assign(
        {},
        ...jsonOf(module)
          .flatMap((json) => blocks(json, 'terraform'))
          .flatMap((t) => blocks(t, 'required_providers')),
      );
    const root = required('');
    for (const { module, kind, type, name } of declared()) {
      const provider = type.split('_')[0] ?? '';
      if (provider === 'terraform') continue; // terraform_data is built in
      const where = `${module || 'root'}: ${kind} ${type}.${name}`;
      expect(Object.keys(required(module)), `${where}: its module requires ${provider}`).toContain(
        provider,
      );
      expect(Object.keys(root), `${where}: the root requires ${provider}`).toContain(provider);
    }
    const version = (requirements: Block, provider: string): unknown =>
      map(requirements, provider).version;
    for (const module of moduleNames()) {
      const requirements = required(module);
      for (const provider of Object.keys(requirements)) {
        expect(version(requirements, provider), `${module || 'root'}: ${provider}`).toBe(
          version(root, provider),
        );
      }
    }
    // hashicorp/time is 0.x, where a minor release may change time_sleep: one exact version.
    expect(version(root, 'time')).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('keeps state in a GCS backend whose bucket is given at init, not in the code', () => {
    const terraformBlocks = jsonOf('').flatMap((json) => blocks(json, 'terraform'));
    const backends = terraformBlocks
      .map((t) => map(t, 'backend'))
      .filter((b) => Object.keys(b).length);
    expect(backends).toHaveLength(1);
    expect(Object.keys(backends[0] ?? {})).toEqual(['gcs']);
    expect(blocks(backends[0] ?? {}, 'gcs')).toEqual([{}]);
    for (const module of moduleNames().filter((m) => m !== '')) {
      const moduleTerraform = jsonOf(module).flatMap((json) => blocks(json, 'terraform'));
      expect(moduleTerraform.map((t) => t.backend).filter(Boolean), module).toEqual([]);
    }
  });

  it('hard-codes no project: every project attribute is var.project_id', () => {
    const withProject = [
      ...resources(),
      ...files.flatMap(({ json, module }) =>
        Object.entries(map(json, 'provider')).flatMap(([type, bodies]) =>
          (Array.isArray(bodies) ? bodies.filter(isBlock) : []).map((body) => ({
            module,
            type,
            name: 'provider',
            body,
          })),
        ),
      ),
    ].filter(({ body }) => 'project' in body);
    expect(withProject.length).toBeGreaterThan(10);
    for (const { module, type, name, body } of withProject) {
      expect(body.project, `${module || 'root'}: ${type}.${name}`).toBe('${var.project_id}');
    }
    expect('default' in (variables('').get('project_id') ?? {})).toBe(false);
  });
});

describe('terraform: connection budget', () => {
  const budget = (v: (name: string) => number) =>
    (2 * v('api_max_instances') + v('check_max_instances')) * (v('db_pool_max') + 3) +
    1 +
    v('postgres_reserved_connections');

  it('is enforced by a validation of postgres_max_connections', () => {
    const validation = only(variables('').get('postgres_max_connections') ?? {}, 'validation');
    expect(String(validation.condition).replace(/\s+/g, ' ')).toBe(
      '${(2 * var.api_max_instances + var.check_max_instances) * (var.db_pool_max + 3) + 1 + var.postgres_reserved_connections <= var.postgres_max_connections}',
    );
  });

  it('fits the defaults', () => {
    expect(budget(numberDefault)).toBeLessThanOrEqual(numberDefault('postgres_max_connections'));
  });

  it("fits the README example's values", async () => {
    const example = (await parse('terraform.tfvars', readmeExample())) as Block;
    const value = (name: string) =>
      typeof example[name] === 'number' ? (example[name] as number) : numberDefault(name);
    expect(budget(value)).toBeLessThanOrEqual(value('postgres_max_connections'));
  });
});

describe('terraform: README', () => {
  it('has a terraform.tfvars example that parses and sets only declared variables, all required ones included', async () => {
    const example = (await parse('terraform.tfvars', readmeExample())) as Block;
    const declared = variables('');
    const keys = Object.keys(example);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(declared.has(key), `variable ${key} exists`).toBe(true);
    for (const [name, body] of declared) {
      if (!('default' in body)) expect(keys, `example sets required ${name}`).toContain(name);
    }
  });

  it("gives the example's values that pass the regex validations", async () => {
    const example = (await parse('terraform.tfvars', readmeExample())) as Block;
    for (const [name, body] of variables('')) {
      const value = example[name];
      if (typeof value !== 'string') continue;
      for (const validation of blocks(body, 'validation')) {
        const regex = String(validation.condition).match(
          /can\(regex\("((?:[^"\\]|\\.)*)", var\.(\w+)\)\)/,
        );
        if (regex && regex[2] === name) {
          expect(value, name).toMatch(new RegExp(hclString(regex[1] ?? '')));
        }
      }
    }
  });

  it('documents every root input and output', () => {
    const text = readFileSync(README, 'utf8');
    for (const name of [...variables('').keys(), ...outputs('').keys()]) {
      expect(text, `README mentions ${name}`).toContain(`\`${name}\``);
    }
  });
});

/**
 * hashicorp/google 6.50 (the newest release `~> 6.40` allows): the arguments
 * of the resources the freshness SLO uses, from its schema
 * (google/services/monitoring/resource_monitoring_{custom_service,slo,alert_policy}.go).
 */
const PROVIDER_SCHEMA: Record<string, string[]> = {
  google_monitoring_custom_service: [
    'display_name',
    'project',
    'service_id',
    'telemetry',
    'user_labels',
  ],
  google_monitoring_slo: [
    'basic_sli',
    'calendar_period',
    'display_name',
    'goal',
    'project',
    'request_based_sli',
    'rolling_period_days',
    'service',
    'slo_id',
    'user_labels',
    'windows_based_sli',
  ],
  'google_monitoring_slo.request_based_sli': ['distribution_cut', 'good_total_ratio'],
  'google_monitoring_slo.request_based_sli.good_total_ratio': [
    'bad_service_filter',
    'good_service_filter',
    'total_service_filter',
  ],
  google_monitoring_alert_policy: [
    'alert_strategy',
    'combiner',
    'conditions',
    'display_name',
    'documentation',
    'enabled',
    'notification_channels',
    'project',
    'severity',
    'user_labels',
  ],
  'google_monitoring_alert_policy.conditions': [
    'condition_absent',
    'condition_matched_log',
    'condition_monitoring_query_language',
    'condition_prometheus_query_language',
    'condition_sql',
    'condition_threshold',
    'display_name',
  ],
  'google_monitoring_alert_policy.conditions.condition_threshold': [
    'aggregations',
    'comparison',
    'denominator_aggregations',
    'denominator_filter',
    'duration',
    'evaluation_missing_data',
    'filter',
    'forecast_options',
    'threshold_value',
    'trigger',
  ],
  'google_monitoring_alert_policy.conditions.condition_absent': [
    'aggregations',
    'duration',
    'filter',
    'trigger',
  ],
};

/** The provider's enums and limits for the same resources. */
const PROVIDER_ENUMS = {
  combiner: ['AND', 'OR', 'AND_WITH_MATCHING_RESOURCE'],
  severity: ['CRITICAL', 'ERROR', 'WARNING'],
  comparison: [
    'COMPARISON_GT',
    'COMPARISON_GE',
    'COMPARISON_LT',
    'COMPARISON_LE',
    'COMPARISON_EQ',
    'COMPARISON_NE',
  ],
};
/** slo_id and service_id: `^[a-zA-Z0-9\-_:.]+$`; goal: 0 < goal <= 0.9999; rolling_period_days: 1 to 30. */
const MONITORING_ID = /^[a-zA-Z0-9\-_:.]+$/;

/** Asserts that a block uses only the schema's arguments (and meta-arguments), nested blocks too. */
function schemaChecked(body: Block, path: string, where: string): void {
  const allowed = PROVIDER_SCHEMA[path];
  expect(allowed, `${path} is in PROVIDER_SCHEMA`).toBeDefined();
  for (const key of Object.keys(body)) {
    if (key === 'dynamic') {
      for (const [name, dynamics] of Object.entries(map(body, 'dynamic'))) {
        expect(allowed, `${where}: dynamic "${name}"`).toContain(name);
        for (const dynamic of Array.isArray(dynamics) ? dynamics.filter(isBlock) : []) {
          for (const content of blocks(dynamic, 'content')) {
            schemaChecked(content, `${path}.${name}`, `${where}.${name}`);
          }
        }
      }
      continue;
    }
    expect([...(allowed ?? []), ...META_ARGUMENTS], `${where}: ${key}`).toContain(key);
    const nested = `${path}.${key}`;
    if (PROVIDER_SCHEMA[nested] !== undefined) {
      for (const block of blocks(body, key)) schemaChecked(block, nested, `${where}.${key}`);
    }
  }
}

/** The monitoring module's scope with the SLO variables set (and `count` instances). */
function sloScope(vars: Record<string, HclValue> = {}, count = 3): HclScope {
  const defaults = rootNumbers();
  return {
    module: 'monitoring',
    vars: {
      replica_instances: sampleInstances(count),
      name_prefix: String(defaultOf('name_prefix')),
      slo_goal: defaults.slo_goal ?? null,
      slo_rolling_period_days: defaults.slo_rolling_period_days ?? null,
      slo_target_ms: defaults.slo_target_ms ?? null,
      ...vars,
    },
  };
}

/** The SRE workbook's paging alerts (chapter 5, table 5-8), for a 30-day period. */
const WORKBOOK = [
  { budgetShare: 0.02, longS: 3600, shortS: 300, burnRate30d: 14.4 },
  { budgetShare: 0.05, longS: 21600, shortS: 1800, burnRate30d: 6 },
];

describe('terraform: freshness SLO', () => {
  it('defines one request-based freshness SLO per replica position, on a custom service, with the goal, period and target variables', () => {
    const service = resource('monitoring', 'google_monitoring_custom_service', 'replication');
    const slo = resource('monitoring', 'google_monitoring_slo', 'freshness');
    expect(slo.for_each).toBe('${local.replica_positions}');
    expect(slo.service).toBe('${google_monitoring_custom_service.replication.service_id}');
    expect(slo.goal).toBe('${var.slo_goal}');
    expect(slo.rolling_period_days).toBe('${var.slo_rolling_period_days}');
    expect(slo.calendar_period).toBeUndefined();
    expect(slo.windows_based_sli).toBeUndefined();
    expect(slo.basic_sli).toBeUndefined();
    for (const count of [1, 3, 6]) {
      const scope = sloScope({}, count);
      const ids = instances(slo, scope, 'freshness').map(({ key, names }) => {
        const id = String(hclValue(slo.slo_id, scope, names));
        expect(id, `${key}`).toMatch(MONITORING_ID);
        expect(String(hclValue(slo.display_name, scope, names)), `${key}`).toContain(
          sampleInstances(count)[Number(key?.slice(1)) - 1] ?? '?',
        );
        return id;
      });
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
    }
    expect(String(hclValue(service.service_id, sloScope(), {}))).toMatch(MONITORING_ID);
    // The variables: in the root, validated there, passed on as is.
    const call = moduleCalls().get('monitoring') ?? {};
    for (const name of ['slo_goal', 'slo_rolling_period_days', 'slo_target_ms']) {
      expect(call[name], name).toBe(`\${var.${name}}`);
      const root = variables('').get(name) ?? {};
      expect(root.type, name).toBe('${number}');
      expect(blocks(root, 'validation').length, name).toBeGreaterThan(0);
    }
    expect(defaultOf('slo_goal')).toBe(0.999);
    expect(defaultOf('slo_rolling_period_days')).toBe(28);
    expect(defaultOf('slo_target_ms')).toBe(1000);
    // What Cloud Monitoring accepts, enforced where the values enter.
    const goal = String(only(variables('').get('slo_goal') ?? {}, 'validation').condition);
    expect(goal).toContain('var.slo_goal > 0');
    expect(goal).toContain('var.slo_goal <= 0.9999');
    const days = String(
      only(variables('').get('slo_rolling_period_days') ?? {}, 'validation').condition,
    );
    expect(days).toContain('var.slo_rolling_period_days >= 1');
    expect(days).toContain('var.slo_rolling_period_days <= 30');
    const target = String(only(variables('').get('slo_target_ms') ?? {}, 'validation').condition);
    expect(target).toContain('var.slo_target_ms <= var.replica_max_lag_ms');
  });

  it('computes every SLO from heartbeat counters the configuration defines: good within the target out of those the position should show', () => {
    const slo = resource('monitoring', 'google_monitoring_slo', 'freshness');
    for (const count of [1, 3, 6]) {
      const scope = sloScope({}, count);
      for (const { key, names } of instances(slo, scope, 'freshness')) {
        const filters = Object.fromEntries(sloFilters(slo, scope, names));
        // Exactly two of good, bad and total: good and total.
        expect(Object.keys(filters).sort(), `${key}`).toEqual([
          'good_service_filter',
          'total_service_filter',
        ]);
        const good = definedMetrics(filters.good_service_filter ?? '', `${key} good`, scope);
        const total = definedMetrics(filters.total_service_filter ?? '', `${key} total`, scope);
        expect(good, `${key}`).toEqual([{ name: 'replica_heartbeats', key: `${key}-good` }]);
        expect(total, `${key}`).toEqual([{ name: 'replica_heartbeats', key: `${key}-total` }]);
      }
    }
    // The counters: one entry per heartbeat, counted (INT64 DELTA, no extractor).
    const metric = resource('monitoring', 'google_logging_metric', 'replica_heartbeats');
    expect(metric.for_each).toBe('${local.replica_heartbeat_metrics}');
    expect(metric.value_extractor).toBeUndefined();
    expect(metric.bucket_options).toBeUndefined();
    expect(only(metric, 'metric_descriptor')).toMatchObject({
      metric_kind: 'DELTA',
      value_type: 'INT64',
    });
    const scope = sloScope();
    for (const { key, names } of instances(metric, scope, 'replica_heartbeats')) {
      const [position, kind] = (key ?? '').split('-');
      const filter = String(hclValue(metric.filter, scope, names));
      const total = `${String(hclValue(locals('monitoring').heartbeat_log_filter, scope))} AND jsonPayload.standbys="${position}"`;
      if (kind === 'total') expect(filter, `${key}`).toBe(total);
      else
        expect(filter, `${key}`).toBe(
          `${total} AND jsonPayload.visible_ms.${position}<=${defaultOf('slo_target_ms')}`,
        );
    }
    // The heartbeat lines are not the run lines: no run metric reads them, and
    // they come from the check service only.
    const heartbeat = String(locals('monitoring').heartbeat_log_filter);
    expect(heartbeat).toContain('jsonPayload.check=\\"replication-heartbeat\\"');
    expect(heartbeat).toContain('resource.labels.service_name=\\"${var.check_service_name}\\"');
    expect(String(locals('monitoring').check_log_filter)).toContain(
      'jsonPayload.check=\\"replication\\"',
    );
  });

  it("uses only the provider's arguments and values (hashicorp/google 6.50 schema)", () => {
    const types = Object.keys(PROVIDER_SCHEMA).filter((path) => !path.includes('.'));
    const checked = resources().filter((r) => types.includes(r.type));
    expect(checked.map((r) => r.type)).toEqual(expect.arrayContaining(types));
    for (const { module, type, name, body } of checked) {
      schemaChecked(body, type, `${module}: ${type}.${name}`);
    }
    for (const { name, body } of resources('google_monitoring_alert_policy')) {
      expect(PROVIDER_ENUMS.combiner, name).toContain(body.combiner);
      if (body.severity !== undefined) {
        const severities = instances(body, monitoringScope(), name).map(({ names }) =>
          hclValue(body.severity, monitoringScope(), names),
        );
        for (const severity of severities)
          expect(PROVIDER_ENUMS.severity, name).toContain(severity);
      }
    }
    for (const { policy, condition } of alertConditions()) {
      if (condition.comparison !== undefined)
        expect(PROVIDER_ENUMS.comparison, policy).toContain(condition.comparison);
      expect(String(condition.duration), policy).toMatch(/^\d+s$/);
    }
    // The SLO's limits, for the variables' bounds: the provider refuses a
    // goal above 0.9999 and a rolling period outside 1 to 30 days.
    const slo = resource('monitoring', 'google_monitoring_slo', 'freshness');
    const request = only(slo, 'request_based_sli');
    expect(blocks(request, 'good_total_ratio')).toHaveLength(1);
    expect(blocks(request, 'distribution_cut')).toHaveLength(0);
    for (const [goal, valid] of [
      [0.999, true],
      [0.9999, true],
      [0.99999, false],
      [0, false],
    ] as const) {
      const condition = only(variables('').get('slo_goal') ?? {}, 'validation').condition;
      expect(hclValue(condition, { module: '', vars: { slo_goal: goal } }), `goal ${goal}`).toBe(
        valid,
      );
    }
    for (const [days, valid] of [
      [1, true],
      [30, true],
      [31, false],
      [7.5, false],
    ] as const) {
      const condition = only(
        variables('').get('slo_rolling_period_days') ?? {},
        'validation',
      ).condition;
      expect(
        hclValue(condition, { module: '', vars: { slo_rolling_period_days: days } }),
        `${days} days`,
      ).toBe(valid);
    }
  });

  it('alerts per position on two burn rates over a long and a short window, thresholds and windows computed from the goal and the period', () => {
    const policy = resource('monitoring', 'google_monitoring_alert_policy', 'slo_burn');
    expect(policy.for_each).toBe('${local.slo_burn_policies}');
    expect(policy.combiner).toBe('AND');
    expect(policy.notification_channels).toBe('${var.notification_channels}');
    const condition = only(
      only(blocks(map(policy, 'dynamic'), 'conditions')[0] ?? {}, 'content'),
      'condition_threshold',
    );
    // Named once: the threshold and the lookback read the locals.
    expect(condition.threshold_value).toBe('${local.slo_burn_rate[each.value.alert]}');
    expect(blocks(map(policy, 'dynamic'), 'conditions')[0]?.for_each).toBe(
      '${local.slo_burn_windows[each.value.alert]}',
    );
    expect(condition.filter).toBe(
      'select_slo_burn_rate("${google_monitoring_slo.freshness[each.value.position].id}", "${conditions.value}s")',
    );
    expect(condition.comparison).toBe('COMPARISON_GT');
    expect(condition.aggregations).toBeUndefined();
    // The workbook's figures literally once, in local.slo_burn_alerts; none
    // of the computed thresholds or windows typed anywhere.
    const text = files
      .filter((f) => f.module === 'monitoring' && f.file.endsWith('slo.tf'))
      .flatMap((f) => f.text.split('\n'))
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    for (const literal of ['14.4', '13.44', '5.6', '"300s"', '"21600s"', '"3600s"', '0.001']) {
      expect(text, literal).not.toContain(literal);
    }
    const windowLiterals = (seconds: number) =>
      [...text.matchAll(new RegExp(`\\b${seconds}\\b`, 'g'))].length;
    expect(windowLiterals(21600)).toBe(1);
    for (const [goal, days] of [
      [0.999, 30],
      [0.999, 28],
      [0.99, 7],
      [0.9999, 14],
    ] as const) {
      const where = `goal ${goal}, ${days} days`;
      const scope = sloScope({ slo_goal: goal, slo_rolling_period_days: days });
      const conditions = alertConditions(scope).filter((c) => c.policy === 'slo_burn');
      // Two policies (alerts) per position, two windows each.
      expect(conditions.length, where).toBe(3 * WORKBOOK.length * 2);
      for (const { instance, names, condition: c, filter } of conditions) {
        const selector = sloSelector(filter);
        expect(selector?.selector, where).toBe('select_slo_burn_rate');
        expect(selector?.key, where).toBe(instance?.split('-')[0]);
        const alert = objectOf(names.each ?? null, 'each').value as { alert: string };
        const windows = objectOf(
          hclValue('${local.slo_burn_windows[each.value.alert]}', scope, names),
          'windows',
        );
        const workbook = WORKBOOK.find((w) => w.longS === windows.long);
        expect(workbook, `${where}: ${instance} is one of the workbook's alerts`).toBeDefined();
        if (workbook === undefined) continue;
        expect(windows.short, where).toBe(workbook.shortS);
        expect([workbook.longS, workbook.shortS], where).toContain(selector?.lookbackS);
        const threshold = numberOf(hclValue(c.threshold_value, scope, names), 'threshold');
        // The rate that spends budget_share of the period's budget in the long window.
        expect(threshold, where).toBeCloseTo(
          (workbook.budgetShare * days * 24 * 3600) / workbook.longS,
          9,
        );
        if (days === 30) expect(threshold, where).toBeCloseTo(workbook.burnRate30d, 9);
        // The goal: the fraction of heartbeats late it takes, in the alert's words.
        const late = numberOf(
          hclValue('${local.slo_burn_late_fraction[each.value.alert]}', scope, names),
          'late',
        );
        expect(late, where).toBeCloseTo(threshold * (1 - goal), 12);
        expect(String(alert.alert)).toMatch(/^(fast|slow)$/);
      }
      // Every display name tells the computed figures, not typed ones.
      for (const { names } of instances(policy, scope, 'slo_burn')) {
        const documentation = String(hclValue(only(policy, 'documentation').content, scope, names));
        expect(documentation, where).not.toContain('${');
      }
    }
    // Severity: the fast burn pages harder than the slow one.
    const alerts = objectOf(hclValue('${local.slo_burn_alerts}', sloScope()), 'alerts');
    expect(objectOf(alerts.fast ?? null, 'fast').severity).toBe('CRITICAL');
    expect(objectOf(alerts.slow ?? null, 'slow').severity).toBe('ERROR');
  });

  it('refuses a goal or period for which an alert could never fire, or would fire while the SLO is met', () => {
    const policy = resource('monitoring', 'google_monitoring_alert_policy', 'slo_burn');
    const preconditions = blocks(only(policy, 'lifecycle'), 'precondition');
    expect(preconditions).toHaveLength(1);
    const precondition = preconditions[0] as Block;
    expect(String(precondition.error_message)).toMatch(/^[A-Z].{29,}[.)]$/);
    const holds = (goal: number, days: number) =>
      instances(
        policy,
        sloScope({ slo_goal: goal, slo_rolling_period_days: days }),
        'slo_burn',
      ).every(
        ({ names }) =>
          hclValue(
            precondition.condition,
            sloScope({ slo_goal: goal, slo_rolling_period_days: days }),
            names,
          ) === true,
      );
    expect(holds(0.999, 28)).toBe(true);
    expect(holds(0.95, 30)).toBe(true);
    // 13.44 × (1 − 0.9) > 1: not even every heartbeat late reaches it.
    expect(holds(0.9, 28)).toBe(false);
    // 0.05 × 3 days / 6 h = 0.6: below 1, it fires while the SLO is met.
    expect(holds(0.999, 3)).toBe(false);
  });

  it('makes the SLOs and every burn-rate policy wait for the metrics to reach Cloud Monitoring', () => {
    const sleep = resource('monitoring', 'time_sleep', 'metrics_propagated');
    const triggered = logMetricsReferenced(sleep.triggers, 'monitoring');
    expect(triggered).toContainEqual({ name: 'replica_heartbeats', key: undefined });
    for (const type of ['google_monitoring_slo', 'google_monitoring_alert_policy']) {
      const name = type === 'google_monitoring_slo' ? 'freshness' : 'slo_burn';
      const body = resource('monitoring', type, name);
      expect(strings(body.depends_on), `${type}.${name}`).toContain(
        '${time_sleep.metrics_propagated}',
      );
    }
    // The policies read the SLOs, the SLOs the heartbeat counters.
    const policy = resource('monitoring', 'google_monitoring_alert_policy', 'slo_burn');
    expect(logMetricsReferenced(policy, 'monitoring')).toContainEqual({
      name: 'replica_heartbeats',
      key: undefined,
    });
  });

  it("charts each position's compliance and error budget left, from its SLO", () => {
    for (const count of [1, 3, 6]) {
      const scope = monitoringScope(count);
      const sets = dataSets(dashboardJson(count))
        .map((set) => ({ ...set, slo: sloSelector(set.filter) }))
        .filter((set) => set.slo !== undefined);
      for (const selector of ['select_slo_compliance', 'select_slo_budget_fraction']) {
        const charted = sets.filter((set) => set.slo?.selector === selector);
        expect(
          charted.map((set) => set.slo?.key).sort(),
          `${selector}, ${count} instances`,
        ).toEqual(
          Object.keys(objectOf(hclValue('${local.replica_positions}', scope), 'positions')).sort(),
        );
        for (const set of charted) {
          expect(set.slo?.name).toBe('freshness');
          const position = Number(set.slo?.key?.slice(1));
          expect(String(set.dataSet.legendTemplate)).toContain(
            sampleInstances(count)[position - 1],
          );
          // The SLO it charts reads the heartbeat counters.
          expect(definedMetrics(set.filter, selector, scope).map((m) => m.name)).toEqual([
            'replica_heartbeats',
            'replica_heartbeats',
          ]);
        }
      }
    }
  });

  it('documents the SLO, the choice, the alerts and what only a live project shows in the README', () => {
    const text = readFileSync(README, 'utf8');
    for (const phrase of [
      '## The freshness SLO',
      'select_slo_burn_rate',
      'select_slo_compliance',
      'select_slo_budget_fraction',
      'request-based',
      'windows-based',
      'replication-heartbeat',
      'visible_ms',
      'standbys',
    ]) {
      expect(text, phrase).toContain(phrase);
    }
    // The alert table's figures are the computed ones for the defaults.
    const scope = sloScope();
    for (const name of ['fast', 'slow']) {
      const rate = numberOf(hclValue(`\${local.slo_burn_rate["${name}"]}`, scope), name);
      expect(text, `${name} burn rate`).toContain(`| ${Number(rate.toPrecision(4))} |`);
    }
  });
});

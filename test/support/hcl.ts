// A small evaluator of HCL (Terraform's native syntax) over what
// @cdktf/hcl2json gives: hcl2json parses a .tf file into JSON but leaves
// every expression as its source text inside `${…}`; this evaluates those.
// Enough for the configuration's locals, filters, dashboard and for_each
// maps: literals, string templates, tuples and objects, for expressions,
// var.X (from the scope, or left as a Reference), local.X, resource
// attributes (left as References), indexing, arithmetic, comparisons,
// conditionals and the functions of HCL_FUNCTIONS. Anything else throws, so
// what the tests check stays computable here. test/unit/hcl.test.ts holds
// its table of constructs.

/** A JSON object as hcl2json gives it (a block body, a map literal). */
export type Block = Record<string, unknown>;

export function isBlock(value: unknown): value is Block {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The blocks under `key` (hcl2json gives every nested block as an array). */
export function blocks(body: Block, key: string): Block[] {
  const value = body[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${key} is not a block list`);
  return value.filter(isBlock);
}

/** A map attribute (e.g. annotations) or an object literal; {} when absent. */
export function map(body: Block, key: string): Block {
  const value = body[key];
  return isBlock(value) ? value : {};
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** HCL string literal (as written between quotes) → its value. */
export function hclString(literal: string): string {
  return JSON.parse(`"${literal}"`) as string;
}

/** An expression as hcl2json gives it, without the `${…}` around it; whitespace collapsed. */
export function expressionText(value: unknown): string {
  const text = String(value).replace(/\s+/g, ' ');
  return text.startsWith('${') && text.endsWith('}') ? text.slice(2, -1).trim() : text;
}

/**
 * A reference that evaluation leaves as written: a resource's attribute
 * (`google_logging_metric.lag.name`) or a variable given no value. In a
 * string it is written back as `${…}`, as hcl2json shows it.
 */
export class Reference {
  constructor(readonly path: string) {}
  toString(): string {
    return `\${${this.path}}`;
  }
}

/** `var` and `local`: what their attributes are read from. */
class Namespace {
  constructor(readonly name: 'var' | 'local') {}
}

export type HclValue =
  | null
  | boolean
  | number
  | string
  | Reference
  | HclValue[]
  | { [key: string]: HclValue };
type Value = HclValue | Namespace;

export interface HclScope {
  /** The module's locals as hcl2json gives them (unevaluated): what `local.X` reads. */
  locals: Block;
  /** Values of `var.X`; a variable not listed stays a Reference. */
  vars: Record<string, HclValue>;
}

/**
 * Names bound around an expression: `each` and `count` of a resource's
 * instance, a for expression's variables, a dynamic block's iterator.
 */
export type Names = Record<string, HclValue>;
type HclNode = (names: Names) => Value;

export function isObject(value: unknown): value is { [key: string]: HclValue } {
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

export function numberOf(value: Value, what: string): number {
  if (typeof value !== 'number') throw new Error(`${what}: ${String(value)} is not a number`);
  return value;
}

export function listOf(value: Value, what: string): HclValue[] {
  if (!Array.isArray(value)) throw new Error(`${what}: not a list`);
  return value;
}

export function objectOf(value: Value, what: string): { [key: string]: HclValue } {
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
export function written(value: Value): HclValue {
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
    const local = scope.locals[name];
    if (local === undefined) throw new Error(`no local.${name}`);
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
export function entries(collection: Value, what: string): [HclValue, HclValue][] {
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

export const HCL_FUNCTIONS: Record<string, (...args: Value[]) => HclValue> = {
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
  range: (...args) => {
    const [start, limit] =
      args.length === 1 ? [0, args[0] ?? null] : [args[0] ?? null, args[1] ?? null];
    const result: number[] = [];
    for (let n = numberOf(start, 'range'); n < numberOf(limit, 'range'); n++) result.push(n);
    return result;
  },
  setproduct: (...lists) =>
    lists.reduce<HclValue[][]>(
      (product, list) =>
        product.flatMap((prefix) => listOf(list, 'setproduct').map((item) => [...prefix, item])),
      [[]],
    ),
  join: (separator, list) => listOf(list, 'join').map(templateText).join(String(separator)),
  tostring: (x) => templateText(x),
  // The first argument neither null nor "", as Terraform's.
  coalesce: (...args) => {
    const found = args.find((arg) => arg !== null && arg !== '');
    if (found === undefined) throw new Error('coalesce: no non-null, non-empty argument');
    return plain(found, 'coalesce');
  },
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
      // `...` ends the operand: argument expansion or for-expression grouping.
      if (this.text.startsWith('.', this.at) && !this.text.startsWith('...', this.at)) {
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
export function hclValue(value: unknown, scope: HclScope, names: Names = {}): HclValue {
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

/** One instance of a resource: its key (for_each), index (count) or neither, and `each`/`count`. */
export interface Instance {
  key: string | undefined;
  names: Names;
}

/**
 * A resource's instances: `each` bound to each element of its for_each (a
 * map in key order; a set of strings, given as a list, keyed by its
 * values), `count.index` to each index of its count, or one instance
 * without either.
 */
export function instancesOf(body: Block, scope: HclScope, what = 'resource'): Instance[] {
  if (body.for_each !== undefined && body.count !== undefined)
    throw new Error(`${what}: both count and for_each`);
  if (body.count !== undefined) {
    const count = numberOf(hclValue(body.count, scope), `${what} count`);
    return Array.from({ length: count }, (_, index) => ({
      key: String(index),
      names: { count: { index } },
    }));
  }
  if (body.for_each === undefined) return [{ key: undefined, names: {} }];
  const collection = hclValue(body.for_each, scope);
  const items: [HclValue, HclValue][] = Array.isArray(collection)
    ? collection.map((item) => [item, item])
    : entries(collection, `${what} for_each`);
  return items.map(([key, value]) => ({ key: String(key), names: { each: { key, value } } }));
}

/** Terraform's meta-arguments: not arguments of the resource itself. */
export const META_ARGUMENTS = ['count', 'depends_on', 'for_each', 'lifecycle', 'provider'];

/**
 * A block as the provider gets it, for one set of names: attributes
 * evaluated (null ones left out, as Terraform leaves them unset), nested
 * blocks as lists of such blocks, and each `dynamic "x"` expanded into x
 * blocks, one per element of its for_each with its iterator (`x`, or the
 * name `iterator` gives) bound to { key, value }; a type that ends with no
 * block is left out, as one never written. Nested blocks come before
 * the dynamic ones of the same type (hcl2json keeps no order between them).
 * `skip` leaves out keys, such as the meta-arguments of a resource body.
 */
export function expandBlock(
  body: Block,
  scope: HclScope,
  names: Names = {},
  skip: readonly string[] = [],
): Block {
  const result: Block = {};
  for (const [key, value] of Object.entries(body)) {
    if (skip.includes(key) || key === 'dynamic') continue;
    if (Array.isArray(value) && value.length > 0 && value.every(isBlock)) {
      result[key] = value.map((block) => expandBlock(block, scope, names));
      continue;
    }
    const evaluated = written(hclValue(value, scope, names));
    if (evaluated !== null) result[key] = evaluated;
  }
  for (const [type, dynamics] of Object.entries(map(body, 'dynamic'))) {
    for (const dynamic of Array.isArray(dynamics) ? dynamics.filter(isBlock) : []) {
      const iterator = dynamic.iterator === undefined ? type : expressionText(dynamic.iterator);
      const content = blocks(dynamic, 'content');
      if (content.length !== 1) throw new Error(`dynamic "${type}": one content block`);
      const expanded = entries(hclValue(dynamic.for_each, scope, names), `dynamic "${type}"`).map(
        ([key, value]) =>
          expandBlock(content[0] as Block, scope, { ...names, [iterator]: { key, value } }),
      );
      const existing = result[type];
      const all = [...(Array.isArray(existing) ? existing : []), ...expanded];
      if (all.length > 0) result[type] = all;
    }
  }
  return result;
}

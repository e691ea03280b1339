// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text, compared literally.
// The HCL evaluator of test/support/hcl.ts, one row per construct it
// supports, each expression written as in a .tf file and given to it as
// @cdktf/hcl2json gives it. Where terraform is installed, `terraform console`
// (offline: no provider, no state) evaluates the same expressions, and the
// two must agree: the evaluator stands in for Terraform in the tests of
// terraform/, so what it computes is what Terraform would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Block,
  expandBlock,
  type HclScope,
  type HclValue,
  hclValue,
  instancesOf,
  META_ARGUMENTS,
  type Names,
  written,
} from '../support/hcl.js';

interface Row {
  /** What the row shows. */
  name: string;
  /** The expression as written after `name =` in a .tf file (one line). */
  hcl: string;
  /** Its value, references written as `${…}`. */
  value: HclValue;
  vars?: Record<string, HclValue>;
  locals?: Block;
  names?: Names;
  /**
   * false where `terraform console` cannot check the row: it reads a
   * variable, local or name, leaves a reference, or is a function this
   * evaluator gives a different shape on purpose (jsonencode gives the
   * structure the tests inspect, not its text).
   */
  terraform?: false;
}

const TABLE: Row[] = [
  // Literals and operators.
  { name: 'number', hcl: '1.5e3', value: 1500 },
  { name: 'precedence', hcl: '1 + 2 * 3', value: 7 },
  { name: 'parentheses', hcl: '(1 + 2) * 3', value: 9 },
  { name: 'division is not integer', hcl: '10 / 4', value: 2.5 },
  { name: 'modulo', hcl: '7 % 3', value: 1 },
  { name: 'negation', hcl: '-2 + 5', value: 3 },
  { name: 'bools', hcl: 'true && !false', value: true },
  { name: 'comparison and or', hcl: '1 < 2 || false', value: true },
  { name: 'equality of strings', hcl: '"a" == "a"', value: true },
  { name: 'inequality of tuples', hcl: '[1, 2] != [1, 2]', value: false },
  { name: 'null', hcl: 'null', value: null },
  { name: 'conditional', hcl: '1 > 2 ? "yes" : "no"', value: 'no' },
  { name: 'nested conditional', hcl: 'true ? (false ? 1 : 2) : 3', value: 2 },
  // Strings and interpolation.
  { name: 'string', hcl: '"plain text"', value: 'plain text' },
  { name: 'escapes', hcl: '"a\\"b\\\\c"', value: 'a"b\\c' },
  { name: 'interpolation', hcl: '"x-${1 + 1}-y"', value: 'x-2-y' },
  { name: 'escaped interpolation', hcl: '"$${literal}"', value: '${literal}' },
  { name: 'nested template', hcl: '"n=${"${2 * 3}"}"', value: 'n=6' },
  { name: 'interpolation alone keeps its type', hcl: '"${1 + 1}"', value: 2 },
  // Collections, indexing, attributes.
  { name: 'tuple', hcl: '[1, "a", true]', value: [1, 'a', true] },
  { name: 'object', hcl: '{ a = 1, "b-c" = 2 }', value: { a: 1, 'b-c': 2 } },
  { name: 'index', hcl: '[10, 20, 30][1]', value: 20 },
  { name: 'attribute and key', hcl: '{ a = { b = 5 } }.a["b"]', value: 5 },
  // For expressions: maps in key order, `if` filtering.
  { name: 'for over a tuple', hcl: '[for x in [1, 2, 3] : x * 2 if x != 2]', value: [2, 6] },
  { name: 'for with index', hcl: '[for i, x in ["a", "b"] : "${i}${x}"]', value: ['0a', '1b'] },
  {
    name: 'for over a map, in key order',
    hcl: '[for k, v in { b = 1, a = 2 } : k]',
    value: ['a', 'b'],
  },
  {
    name: 'for building an object',
    hcl: '{ for k, v in { b = 2, a = 1 } : "${k}!" => v * 10 }',
    value: { 'a!': 10, 'b!': 20 },
  },
  // Functions.
  { name: 'ceil', hcl: 'ceil(1.2)', value: 2 },
  { name: 'floor', hcl: 'floor(1.8)', value: 1 },
  { name: 'max', hcl: 'max(1, 5, 3)', value: 5 },
  { name: 'min', hcl: 'min(4, 2, 3)', value: 2 },
  { name: 'log', hcl: 'log(1024, 2)', value: 10 },
  { name: 'concat', hcl: 'concat([1], [2, 3])', value: [1, 2, 3] },
  {
    name: 'merge: the last wins',
    hcl: 'merge({ a = 1, b = 1 }, { b = 2 })',
    value: { a: 1, b: 2 },
  },
  { name: 'keys, sorted', hcl: 'keys({ b = 1, a = 2 })', value: ['a', 'b'] },
  { name: 'values, by sorted key', hcl: 'values({ b = 1, a = 2 })', value: [2, 1] },
  { name: 'length of a list', hcl: 'length([1, 2])', value: 2 },
  { name: 'length of a string', hcl: 'length("abc")', value: 3 },
  { name: 'length of a map', hcl: 'length({ a = 1 })', value: 1 },
  { name: 'range', hcl: 'range(1, 4)', value: [1, 2, 3] },
  { name: 'range from 0', hcl: 'range(3)', value: [0, 1, 2] },
  {
    name: 'setproduct',
    hcl: 'setproduct(["r1", "r2"], ["p50", "p99"])',
    value: [
      ['r1', 'p50'],
      ['r1', 'p99'],
      ['r2', 'p50'],
      ['r2', 'p99'],
    ],
  },
  { name: 'join', hcl: 'join(" AND ", ["a", "b"])', value: 'a AND b' },
  { name: 'tostring', hcl: 'tostring(5)', value: '5' },
  { name: 'coalesce skips null and ""', hcl: 'coalesce(null, "", "x")', value: 'x' },
  { name: 'toset: sorted, unique', hcl: 'toset(["b", "a", "b"])', value: ['a', 'b'] },
  { name: 'format %.4g', hcl: 'format("%.4g", 13.44)', value: '13.44' },
  { name: 'format %.4g rounds', hcl: 'format("%.4g", 14.400000000000002)', value: '14.4' },
  { name: 'format %.3g', hcl: 'format("%.3g", 1.344)', value: '1.34' },
  { name: 'format %.6g', hcl: 'format("%.6g", 99.9)', value: '99.9' },
  { name: 'format %d %s %%', hcl: 'format("%d of %s, 100%%", 3, "x")', value: '3 of x, 100%' },
  {
    name: 'jsonencode gives the structure, references written out',
    hcl: 'jsonencode({ a = [1], b = google_x.y.id })',
    value: { a: [1], b: '${google_x.y.id}' },
    terraform: false,
  },
  // References: variables, locals, resources, names bound around.
  { name: 'a variable given a value', hcl: 'var.x * 2', value: 10, vars: { x: 5 } },
  { name: 'a variable without a value', hcl: 'var.unset', value: '${var.unset}' },
  {
    name: 'an object variable indexed',
    hcl: 'var.ids["b"]',
    value: 'id-b',
    vars: { ids: { a: 'id-a', b: 'id-b' } },
  },
  {
    name: 'a local reading a local',
    hcl: 'local.a',
    value: 3,
    locals: { a: '${local.b + 1}', b: 2 },
  },
  { name: 'a resource attribute', hcl: 'google_x.y.name', value: '${google_x.y.name}' },
  {
    name: 'a resource instance by key',
    hcl: 'google_x.y["r1-p50"].name',
    value: '${google_x.y["r1-p50"].name}',
  },
  {
    name: 'a reference in a string',
    hcl: '"metric.type=\\"${google_x.y.name}\\""',
    value: 'metric.type="${google_x.y.name}"',
  },
  {
    name: 'each.key and each.value',
    hcl: '"${each.key}-${each.value.n}"',
    value: 'k-1',
    names: { each: { key: 'k', value: { n: 1 } } },
  },
  { name: 'count.index', hcl: 'count.index + 1', value: 2, names: { count: { index: 1 } } },
  {
    name: 'a dynamic block iterator',
    hcl: 'conditions.value.long / 12',
    value: 300,
    names: { conditions: { key: 'fast', value: { long: 3600 } } },
  },
];

/** The table, each row that reads a name or leaves a reference marked as no row for terraform console. */
const ROWS: Row[] = TABLE.map((row) =>
  row.vars || row.locals || row.names || JSON.stringify(row.value).includes('${')
    ? { ...row, terraform: false }
    : row,
);

/** Constructs the evaluator refuses, as hcl2json gives them: what a test reads must be computable. */
const REFUSED: [string, string, RegExp][] = [
  ['splat', '${google_x.y[*].id}', /splat expressions are not supported/],
  ['attribute splat', '${google_x.y.*.id}', /splat expressions are not supported/],
  ['heredoc', '${<<EOT\nx\nEOT\n}', /heredocs are not supported/],
  ['template directive', '%{ if true }x%{ endif }', /template directives are not supported/],
  ['strip marker', '${~ 1}', /strip markers are not supported/],
  ['a function it does not implement', '${upper("a")}', /function upper is not supported/],
  ['argument expansion', '${max([1, 2]...)}', /argument expansion is not supported/],
  ['grouping', '${{ for k, v in { a = 1 } : v => k... }}', /grouping \(\.\.\.\) is not supported/],
  ['a local not defined', '${local.nope}', /no local\.nope/],
  ['comparing a reference', '${var.unset == 1}', /cannot compare a reference/],
  ['arithmetic on a reference', '${var.unset + 1}', /is not a number/],
  ['a condition not a bool', '${1 ? 2 : 3}', /a condition must be a bool/],
  ['a duplicate for key', '${{ for x in [1, 1] : "k" => x }}', /duplicate key k/],
  ['an index out of range', '${[1][3]}', /no element 3 in a list of 1/],
  ['an attribute not there', '${{ a = 1 }.b}', /no attribute "b"/],
  ['%g without a precision', '${format("%g", 1)}', /%g without a precision/],
  ['text after the expression', '${1 2}', /expected \}/],
];

function scopeFor(row: Pick<Row, 'vars' | 'locals'>): HclScope {
  return { locals: row.locals ?? {}, vars: row.vars ?? {} };
}

/** Numbers compared to 12 significant digits: Terraform computes with big floats. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(rounded);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  }
  return value;
}

let parsed: Block = {};

beforeAll(async () => {
  // Each row as an attribute of one file, as hcl2json gives it to the tests.
  const text = ROWS.map((row, index) => `row${index} = ${row.hcl}\n`).join('');
  parsed = (await parse('rows.tf', text)) as Block;
});

describe('the HCL evaluator (test/support/hcl.ts)', () => {
  it.each(ROWS.map((row, index) => [row.name, index] as const))('evaluates %s', (_, index) => {
    const row = ROWS[index] as Row;
    const input = parsed[`row${index}`];
    expect(input, `row${index} parsed`).toBeDefined();
    expect(written(hclValue(input, scopeFor(row), row.names))).toEqual(row.value);
  });

  it.each(REFUSED)('refuses %s', (_, input, error) => {
    expect(() => hclValue(input, { locals: {}, vars: {} })).toThrow(error);
  });

  const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  it.skipIf(terraform.error !== undefined || terraform.status !== 0)(
    'agrees with terraform console on every row it can check (where terraform is installed)',
    () => {
      const checked = ROWS.filter((row) => row.terraform !== false);
      expect(checked.length).toBeGreaterThan(40);
      // One console run: a tuple of every row, as JSON (an empty folder: no
      // configuration, no provider, nothing fetched).
      const dir = mkdtempSync(path.join(tmpdir(), 'hcl-console-'));
      try {
        const result = spawnSync('terraform', ['console'], {
          cwd: dir,
          input: `jsonencode([${checked.map((row) => row.hcl).join(', ')}])\n`,
          encoding: 'utf8',
          env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' },
        });
        expect(result.status, result.stderr).toBe(0);
        const line = result.stdout.trim().split('\n').at(-1) ?? '';
        const values = JSON.parse(JSON.parse(line) as string) as unknown[];
        expect(values).toHaveLength(checked.length);
        checked.forEach((row, index) => {
          expect(rounded(values[index]), row.name).toEqual(rounded(row.value));
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('the instances of a resource (instancesOf)', () => {
  const scope: HclScope = { locals: {}, vars: {} };

  it('binds each.key and each.value to every entry of a for_each map, in key order', () => {
    const body = { for_each: '${{ b = { n = 2 }, a = { n = 1 } }}' };
    expect(instancesOf(body, scope)).toEqual([
      { key: 'a', names: { each: { key: 'a', value: { n: 1 } } } },
      { key: 'b', names: { each: { key: 'b', value: { n: 2 } } } },
    ]);
  });

  it('keys a for_each set of strings by its values', () => {
    const body = { for_each: '${toset(["y", "x"])}' };
    expect(instancesOf(body, scope).map((i) => [i.key, i.names.each])).toEqual([
      ['x', { key: 'x', value: 'x' }],
      ['y', { key: 'y', value: 'y' }],
    ]);
  });

  it('binds count.index, and gives one instance without count or for_each', () => {
    expect(instancesOf({ count: '${1 + 1}' }, scope)).toEqual([
      { key: '0', names: { count: { index: 0 } } },
      { key: '1', names: { count: { index: 1 } } },
    ]);
    expect(instancesOf({ count: '${false ? 1 : 0}' }, scope)).toEqual([]);
    expect(instancesOf({}, scope)).toEqual([{ key: undefined, names: {} }]);
  });

  it('refuses count and for_each together', () => {
    expect(() => instancesOf({ count: 1, for_each: '${{}}' }, scope)).toThrow(
      /both count and for_each/,
    );
  });
});

describe('a block as the provider gets it (expandBlock)', () => {
  it('evaluates attributes, leaves null ones out and expands nested and dynamic blocks', async () => {
    const json = (await parse(
      'policy.tf',
      `resource "x" "y" {
  for_each     = local.policies
  display_name = "policy \${each.key}"
  severity     = each.value.severity
  depends_on   = [time_sleep.wait]

  dynamic "conditions" {
    for_each = each.value.conditions
    content {
      display_name = conditions.value.name
      dynamic "condition_threshold" {
        for_each = conditions.value.absent ? [] : [conditions.value]
        content {
          filter    = condition_threshold.value.filter
          threshold = conditions.value.threshold
          aggregations {
            alignment_period = "60s"
          }
        }
      }
      dynamic "condition_absent" {
        for_each = conditions.value.absent ? [conditions.value] : []
        iterator = absent
        content {
          filter = absent.value.filter
        }
      }
    }
  }

  documentation {
    content = "about \${each.key}"
  }
}
`,
    )) as { resource: { x: { y: Block[] } } };
    const body = json.resource.x.y[0] as Block;
    const scope: HclScope = {
      locals: {
        policies:
          '${{ p = { severity = null, conditions = [{ name = "over", absent = false, filter = "f1", threshold = 3 }, { name = "gone", absent = true, filter = "f2", threshold = null }] } }}',
      },
      vars: {},
    };
    const [instance] = instancesOf(body, scope);
    expect(expandBlock(body, scope, instance?.names, META_ARGUMENTS)).toEqual({
      display_name: 'policy p',
      conditions: [
        {
          display_name: 'over',
          condition_threshold: [
            { filter: 'f1', threshold: 3, aggregations: [{ alignment_period: '60s' }] },
          ],
        },
        { display_name: 'gone', condition_absent: [{ filter: 'f2' }] },
      ],
      documentation: [{ content: 'about p' }],
    });
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
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

// Every SQL statement lives in db/ (DESIGN.md): the service's other folders
// reach the database through db/'s prepared statements, never with SQL of
// their own. What counts as SQL here: a template tagged `sql`, `transaction`
// or `tx` (postgres.js, Drizzle); postgres.js's unsafe(), begin(), reserve()
// or savepoint(); Drizzle's `sql` (or sql.raw); and SQL words in any string
// or template literal.
const SERVICE = [...LAYERS, ...LEAVES, 'synthetic'];
const SQL_HOME = 'db';
const SQL_TAGS = /^(?:sql|transaction|tx)$/;
const DRIVER_CALLS = new Set(['unsafe', 'begin', 'reserve', 'savepoint']);
const SQL_WORDS =
  /\bselect\s[\s\S]*?\bfrom\s|\binsert\s+into\s|\bupdate\s+[\w."]+\s+set\s|\bdelete\s+from\s/i;

function scriptsOf(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(?:ts|js|mjs)$/.test(file))
    .map((file) => join(folder, file));
}

/** Every place in a file that holds SQL or sends it, as `file:line what`. */
function sqlIn(file: string, text = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${file}:${line + 1} ${what}`);
  };
  const textOf = (node: ts.TemplateLiteral) =>
    ts.isNoSubstitutionTemplateLiteral(node)
      ? node.text
      : [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ? ');
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node)) {
      const tag = node.tag.getText(source);
      if (SQL_TAGS.test(tag.split('.').pop() ?? '')) at(node, `${tag}\` tagged template`);
    } else if (ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
      if (SQL_WORDS.test(textOf(node))) at(node, 'SQL in a template literal');
    } else if (ts.isStringLiteral(node) && !ts.isImportDeclaration(node.parent)) {
      if (SQL_WORDS.test(node.text)) at(node, 'SQL in a string');
    } else if (ts.isPropertyAccessExpression(node)) {
      const name = node.name.text;
      if (DRIVER_CALLS.has(name) && ts.isCallExpression(node.parent)) at(node, `.${name}()`);
      if (name === 'raw' && node.expression.getText(source) === 'sql') at(node, 'sql.raw');
    } else if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const from = node.moduleSpecifier.text;
      const names = node.importClause?.namedBindings;
      if (
        /^drizzle-orm(?:\/|$)/.test(from) &&
        names &&
        ts.isNamedImports(names) &&
        names.elements.some((e) => (e.propertyName ?? e.name).text === 'sql')
      ) {
        at(node, `sql from ${from}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('SQL', () => {
  it('finds SQL wherever it is written', () => {
    const cases = [
      'await sql`select 1`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source code to scan
      'await pool.sql`update country set name = ${name}`;',
      'await transaction`begin`;',
      'await sql.unsafe(text);',
      'await pool.sql.begin("read only", work);',
      "const q = 'select lsn from positions';",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source code to scan
      'const q = `delete from country where two_letter = ${code}`;',
      "import { eq, sql } from 'drizzle-orm';",
      'sql.raw(text);',
    ];
    for (const code of cases) expect(sqlIn('x.ts', code), code).not.toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source code to scan
    const message = 'const message = `select a country ${code} on the page`;';
    expect(sqlIn('x.ts', message)).toEqual([]);
  });

  it('is written in db/ only', () => {
    const outside = SERVICE.filter((folder) => folder !== SQL_HOME)
      .flatMap(scriptsOf)
      .flatMap((file) => sqlIn(file));
    expect(outside).toEqual([]);
  });

  it('sees the SQL of db/', () => {
    expect(sqlIn('db/heartbeatQueries.ts').length).toBeGreaterThan(3);
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
    // Copied but not compiled: the migrations (SQL) and the dependency patches.
    const copiedFolders = readDockerfile().copied.filter(
      (entry) => !entry.includes('.') && entry !== 'drizzle' && entry !== 'patches',
    );
    expect([...include].sort()).toEqual([...copiedFolders].sort());
    expect([...include].sort()).toEqual([...LAYERS, ...LEAVES].sort());
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// Every module's variables, outputs and providers, and the connection budget.

import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { type Block, blocks, hclString, isBlock, map } from '../support/hcl.js';
import {
  declared,
  files,
  jsonOf,
  moduleCalls,
  moduleNames,
  numberDefault,
  only,
  outputs,
  readmeExample,
  resources,
  variables,
} from '../support/hclConfig.js';

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

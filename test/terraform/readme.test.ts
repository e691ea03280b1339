// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// terraform/README.md: its terraform.tfvars example and what it documents.

import { readFileSync } from 'node:fs';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { type Block, blocks, hclString } from '../support/hcl.js';
import { outputs, README, readmeExample, variables } from '../support/hclConfig.js';

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

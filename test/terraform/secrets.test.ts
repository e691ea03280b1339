// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// Secret access: per secret, per workload, never project-wide.

import { describe, expect, it } from 'vitest';
import { map } from '../support/hcl.js';
import { checkMoves, locals, resource, resources } from '../support/hclConfig.js';
import {
  CLOUD_RUN_SERVICES,
  DEPLOYER,
  runScope,
  secretGrants,
  serviceTemplate,
} from '../support/hclRun.js';

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
    // Each instance, the deployer's included.
    const instances = secretGrants();
    expect(instances.length).toBeGreaterThan(grants.length);
    for (const { address, body } of instances) {
      expect(body.role, address).toBe('roles/secretmanager.secretAccessor');
      expect(String(body.secret_id), address).toMatch(/^\$\{var\.secret_ids\.\w+\}$/);
    }
  });

  it('gives the check service account the database password and nothing else', () => {
    const granted = (account: string) =>
      secretGrants()
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

  it('grants each runtime account its secrets from one map: local.secret_grants, one member per entry, as the eight resources were', () => {
    const definition = resource('run', 'google_secret_manager_secret_iam_member', 'runtime');
    expect(definition.for_each).toBe('${local.secret_grants}');
    const member = (account: string) =>
      `serviceAccount:\${google_service_account.${account}.email}`;
    const expected = [
      ['api', 'db_password'],
      ['api', 'basic_auth_username'],
      ['api', 'basic_auth_password'],
      ['api', 'postgres_ca'],
      ['check', 'db_password'],
      ['check', 'postgres_ca'],
      ['migrate', 'db_password'],
      ['migrate', 'postgres_ca'],
    ].map(([account, secret]) => ({
      address: `google_secret_manager_secret_iam_member.runtime["${account}_${secret}"]`,
      body: {
        project: '${var.project_id}',
        secret_id: `\${var.secret_ids.${secret}}`,
        role: 'roles/secretmanager.secretAccessor',
        member: member(account ?? ''),
      },
    }));
    const runtime = secretGrants().filter((g) => g.name === 'runtime');
    expect(runtime.map(({ address, body }) => ({ address, body }))).toEqual(
      expected.sort((a, b) => a.address.localeCompare(b.address)),
    );
    // Role and member: no two entries grant the same secret to the same member.
    const grants = runtime.map(({ body }) => `${body.role} ${body.member} ${body.secret_id}`);
    expect(new Set(grants).size).toBe(grants.length);
  });

  it('grants the deployer, when there is one, the Basic credentials only (for_each over them, empty without one)', () => {
    const deployer = (scope: ReturnType<typeof runScope>) =>
      secretGrants(scope)
        .filter((g) => g.name === 'deployer')
        .map(({ address, body }) => ({ address, body }));
    expect(deployer(runScope())).toEqual(
      ['basic_auth_password', 'basic_auth_username'].map((secret) => ({
        address: `google_secret_manager_secret_iam_member.deployer["${secret}"]`,
        body: {
          project: '${var.project_id}',
          secret_id: `\${var.secret_ids.${secret}}`,
          role: 'roles/secretmanager.secretAccessor',
          member: `serviceAccount:${DEPLOYER}`,
        },
      })),
    );
    expect(deployer(runScope(null))).toEqual([]);
  });

  it('moves an existing state from the ten grant resources to the for_each instances', () => {
    const moves = checkMoves('run', runScope())
      .filter(([from]) => from.includes('google_secret_manager_secret_iam_member.'))
      .sort();
    const type = 'google_secret_manager_secret_iam_member';
    expect(moves).toEqual(
      [
        ...Object.keys(map(locals('run'), 'secret_grants')).map((name) => [
          `\${${type}.${name}}`,
          `\${${type}.runtime["${name}"]}`,
        ]),
        ...['basic_auth_username', 'basic_auth_password'].map((secret) => [
          `\${${type}.deployer_${secret}[0]}`,
          `\${${type}.deployer["${secret}"]}`,
        ]),
      ].sort(),
    );
  });
});

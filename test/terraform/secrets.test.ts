// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// Secret access: per secret, per workload, never project-wide.

import { describe, expect, it } from 'vitest';
import { resources } from '../support/hclConfig.js';
import { CLOUD_RUN_SERVICES, serviceTemplate } from '../support/hclRun.js';

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

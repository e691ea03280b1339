// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The postgres module: CloudNativePG behind internal load balancers only, and
// TLS verified against the cluster's own CA (copied into Secret Manager and
// deployed with every workload).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/config.js';
import { type Block, expressionText, map, strings } from '../support/hcl.js';
import {
  type Declared,
  declared,
  defaultOf,
  locals,
  moduleCalls,
  only,
  outputs,
  README,
  resource,
  resources,
} from '../support/hclConfig.js';
import { jobEnv, serviceEnv } from '../support/hclRun.js';

describe('terraform: nothing public reaches PostgreSQL', () => {
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

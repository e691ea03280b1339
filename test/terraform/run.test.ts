// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The run module: both Cloud Run services from one definition, their
// environment, invokers, connector, images and timeouts.

import { describe, expect, it } from 'vitest';
import { blocks, expressionText, map, strings } from '../support/hcl.js';
import {
  checkMoves,
  defaultOf,
  evaluate,
  files,
  locals,
  moduleCalls,
  movedBlocks,
  only,
  outputs,
  resource,
  resources,
  rootNumbers,
  variables,
} from '../support/hclConfig.js';
import {
  CLOUD_RUN_SERVICES,
  forService,
  jobEnv,
  runScope,
  secretGrants,
  serviceDefinition,
  serviceEnv,
  serviceEnvBlock,
  serviceSettings,
  serviceTemplate,
} from '../support/hclRun.js';

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
      // Each instance: depends_on names their resource.
      const grants = secretGrants().filter(({ body }) =>
        String(body.member).includes(`google_service_account.${service}.`),
      );
      expect(grants, service).toHaveLength(count);
      for (const { name } of grants) {
        expect(dependsOn, service).toContain(`\${google_secret_manager_secret_iam_member.${name}}`);
      }
    }
    // And the job after its own.
    const job = strings(resource('run', 'google_cloud_run_v2_job', 'migrate').depends_on);
    const migrate = secretGrants().filter(({ body }) =>
      String(body.member).includes('google_service_account.migrate.'),
    );
    expect(migrate).toHaveLength(2);
    for (const { name } of migrate) {
      expect(job).toContain(`\${google_secret_manager_secret_iam_member.${name}}`);
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
    // Every target exists, an instance its for_each evaluates to: a move to
    // nothing would plan a destroy (the secret grants' moves too).
    expect(checkMoves('run', runScope())).toHaveLength(moved.length);
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

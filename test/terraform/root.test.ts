// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The root module: its layout and formatting, and a first apply in order (APIs
// enabled first, alert policies after their log-based metrics reach Cloud
// Monitoring).

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { format } from '@cdktf/hcl-tools';
import { describe, expect, it } from 'vitest';
import { hclValue, listOf, META_ARGUMENTS, strings } from '../support/hcl.js';
import {
  declared,
  files,
  moduleCalls,
  moduleNames,
  type Resource,
  resource,
  resources,
  scopeOf,
  TERRAFORM_DIR,
} from '../support/hclConfig.js';
import {
  alertConditions,
  allStrings,
  definedMetrics,
  type LogMetricReference,
  logMetricsReferenced,
  sloScope,
} from '../support/hclMonitoring.js';

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
  return listOf(hclValue(forEach, scopeOf('', {})), 'enabled APIs').map(String);
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

/** hashicorp/time 0.13.1's time_sleep (resource_time_sleep.go): its arguments and duration format. */
const TIME_SLEEP_ARGUMENTS = ['create_duration', 'destroy_duration', 'triggers'];
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
      const scope = sloScope({}, count);
      const reading = alertConditions(scope).filter(
        (c) => definedMetrics(c.filter, c.address, scope).length > 0,
      );
      // The policies (instances): all six but uptime, and the burn-rate ones.
      const instances = new Set(reading.map((c) => c.address));
      expect(instances.size).toBeGreaterThanOrEqual(6);
      expect(instances.size).toBe(5 + 2 * count);
      // Their resources, which is what depends_on orders.
      const policies = new Set(reading.map((c) => c.policy));
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

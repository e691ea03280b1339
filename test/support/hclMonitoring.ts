// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The monitoring module as the tests read it: the metrics its alert
// conditions, SLOs and dashboard name, each condition of each alert policy
// evaluated, and the dashboard's JSON.
import { expect } from 'vitest';
import {
  type Block,
  blocks,
  type HclScope,
  type HclValue,
  hclValue,
  instancesOf,
  isBlock,
  map,
  type Names,
  objectOf,
} from './hcl.js';
import {
  defaultOf,
  expandedInstances,
  locals,
  only,
  type Resource,
  resource,
  resources,
  rootNumbers,
  scopeOf,
} from './hclConfig.js';

/** CloudNativePG instance names as the postgres module gives them, for n instances. */
export function sampleInstances(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `pg-replica-pg-${index + 1}`);
}

/** The monitoring module's scope with `count` instances; every other variable stays a reference. */
export function monitoringScope(count = 3): HclScope {
  return scopeOf('monitoring', { replica_instances: sampleInstances(count) });
}

/** The monitoring module's scope with the SLO variables set (and `count` instances). */
export function sloScope(vars: Record<string, HclValue> = {}, count = 3): HclScope {
  const defaults = rootNumbers();
  return scopeOf('monitoring', {
    replica_instances: sampleInstances(count),
    name_prefix: String(defaultOf('name_prefix')),
    slo_goal: defaults.slo_goal ?? null,
    slo_rolling_period_days: defaults.slo_rolling_period_days ?? null,
    slo_target_ms: defaults.slo_target_ms ?? null,
    ...vars,
  });
}

/** The `${…}` references in a string, nested braces kept whole. */
export function references(text: string): string[] {
  const found: string[] = [];
  let at = text.indexOf('${');
  while (at !== -1) {
    let depth = 0;
    let end = at;
    for (; end < text.length; end++) {
      if (text.startsWith('${', end)) {
        depth++;
        end++;
      } else if (text[end] === '}' && --depth === 0) break;
    }
    found.push(text.slice(at + 2, end));
    at = text.indexOf('${', end);
  }
  return found;
}

/** The metric types a Monitoring filter names (`metric.type="…"`, a reference in it kept whole). */
export function metricTypes(filter: string): string[] {
  return [...filter.matchAll(/metric\.type\s*=\s*"/g)].map((match) => {
    const start = (match.index ?? 0) + match[0].length;
    let depth = 0;
    let end = start;
    for (; end < filter.length; end++) {
      if (filter.startsWith('${', end)) {
        depth++;
        end++;
      } else if (filter[end] === '}' && depth > 0) depth--;
      else if (filter[end] === '"' && depth === 0) break;
    }
    return filter.slice(start, end);
  });
}

/** A log-based metric a filter names: google_logging_metric.<name>, its for_each key if any. */
export interface LogMetricReference {
  name: string;
  key: string | undefined;
}

const LOG_METRIC_TYPE =
  /^logging\.googleapis\.com\/user\/\$\{google_logging_metric\.(\w+)(?:\["([^"]+)"\])?\.name\}$/;

/** The Cloud Run services a built-in run.googleapis.com metric may be read for: the run module's. */
export const RUN_SERVICE_VARIABLES = ['${var.api_service_name}', '${var.check_service_name}'];

/**
 * Asserts that every metric a filter names is a log-based metric defined in
 * the monitoring module (by reference, with a key of its for_each when it has
 * one), or a built-in one: Cloud Run's for the run module's services only, or
 * Cloud Monitoring's own (uptime checks). Returns the log-based ones.
 */
export function definedMetrics(
  filter: string,
  where: string,
  scope: HclScope,
): LogMetricReference[] {
  const slo = sloSelector(filter);
  if (slo !== undefined) return sloMetrics(slo, where, scope);
  const types = metricTypes(filter);
  expect(types, `${where}: names one metric type`).toHaveLength(1);
  return types.flatMap((type) => {
    if (type.startsWith('logging.googleapis.com/user/')) {
      const match = type.match(LOG_METRIC_TYPE);
      expect(match, `${where}: ${type} is a google_logging_metric by reference`).not.toBeNull();
      const name = match?.[1] ?? '';
      const key = match?.[2];
      const metrics = resources('google_logging_metric').filter(
        (r) => r.module === 'monitoring' && r.name === name,
      );
      expect(metrics, `${where}: google_logging_metric.${name} is defined`).toHaveLength(1);
      const forEach = metrics[0]?.body.for_each;
      if (forEach === undefined) {
        expect(key, `${where}: google_logging_metric.${name} has no for_each`).toBeUndefined();
      } else {
        const keys = Object.keys(objectOf(hclValue(forEach, scope), `${name} for_each`));
        expect(keys, `${where}: google_logging_metric.${name}[${key}]`).toContain(key);
      }
      return [{ name, key }];
    }
    if (type.startsWith('run.googleapis.com/')) {
      expect(filter, `${where}: a Cloud Run revision metric`).toContain(
        'resource.type="cloud_run_revision"',
      );
      const services = [...filter.matchAll(/resource\.labels?\.service_name\s*=\s*"([^"]*)"/g)].map(
        (m) => m[1],
      );
      expect(services.length, `${where}: ${type} names its service`).toBeGreaterThan(0);
      for (const service of services) {
        expect(RUN_SERVICE_VARIABLES, `${where}: ${type} of a service defined here`).toContain(
          service,
        );
      }
      return [];
    }
    expect(type, `${where}: a Cloud Monitoring built-in metric`).toMatch(
      /^monitoring\.googleapis\.com\//,
    );
    return [];
  });
}

/** An SLO time-series selector (`select_slo_burn_rate("${google_monitoring_slo.X["k"].id}", "3600s")`). */
export interface SloSelector {
  selector: string;
  /** google_monitoring_slo.<name> */
  name: string;
  key: string | undefined;
  /** The lookback period in seconds, for the selectors that take one. */
  lookbackS: number | undefined;
}

const SLO_SELECTOR =
  /^(select_slo_\w+)\("\$\{google_monitoring_slo\.(\w+)(?:\["([^"]+)"\])?\.id\}"(?:, "(\d+)s")?\)$/;

/** The SLO selector a filter is, or undefined for a metric filter. */
export function sloSelector(filter: string): SloSelector | undefined {
  if (!filter.startsWith('select_slo_')) return undefined;
  const match = filter.match(SLO_SELECTOR);
  expect(
    match,
    `${filter}: an SLO selector naming a google_monitoring_slo by reference`,
  ).not.toBeNull();
  return {
    selector: match?.[1] ?? '',
    name: match?.[2] ?? '',
    key: match?.[3],
    lookbackS: match?.[4] === undefined ? undefined : Number(match[4]),
  };
}

/** The SLO's SLI filters, evaluated for one instance: [role, filter]. */
export function sloFilters(body: Block, scope: HclScope, names: Names): [string, string][] {
  const request = only(body, 'request_based_sli');
  const ratio = only(request, 'good_total_ratio');
  return ['good_service_filter', 'bad_service_filter', 'total_service_filter']
    .filter((role) => ratio[role] !== undefined)
    .map((role) => [role, String(hclValue(ratio[role], scope, names))]);
}

/**
 * Asserts that an SLO selector names a google_monitoring_slo defined in the
 * monitoring module (with a key of its for_each), whose SLI reads only
 * log-based metrics defined here; returns those metrics.
 */
function sloMetrics(slo: SloSelector, where: string, scope: HclScope): LogMetricReference[] {
  const found = resources('google_monitoring_slo').filter(
    (r) => r.module === 'monitoring' && r.name === slo.name,
  );
  expect(found, `${where}: google_monitoring_slo.${slo.name} is defined`).toHaveLength(1);
  const body = (found[0] as Resource).body;
  const instance = instancesOf(body, scope, slo.name).find((i) => i.key === slo.key);
  expect(instance, `${where}: google_monitoring_slo.${slo.name}[${slo.key}] exists`).toBeDefined();
  return sloFilters(body, scope, instance?.names ?? {}).flatMap(([role, filter]) =>
    definedMetrics(filter, `${where} → ${slo.name}[${slo.key}] ${role}`, scope),
  );
}

/** A condition of an alert policy's instance, as the provider gets it (see expandBlock). */
export interface AlertCondition {
  /** The google_monitoring_alert_policy resource's name. */
  policy: string;
  /** The policy's for_each key, if it has one. */
  instance: string | undefined;
  /** `google_monitoring_alert_policy.name["key"]`. */
  address: string;
  /** `each` as bound for the policy's instance. */
  names: Names;
  /** The policy's instance, expanded. */
  body: Block;
  /** The conditions block: its display_name. */
  conditions: Block;
  /** The condition_threshold or condition_absent block, evaluated. */
  condition: Block;
  kind: 'condition_threshold' | 'condition_absent';
  filter: string;
}

/**
 * Every condition of every alert policy instance of the monitoring module.
 * The scope needs the SLO variables (sloScope): the burn-rate conditions'
 * names are computed from them.
 */
export function alertConditions(scope: HclScope = sloScope()): AlertCondition[] {
  return expandedInstances('monitoring', 'google_monitoring_alert_policy', scope).flatMap(
    ({ address, name, key, names, body }) =>
      blocks(body, 'conditions').flatMap((conditions) =>
        (['condition_threshold', 'condition_absent'] as const).flatMap((kind) =>
          blocks(conditions, kind).map((condition) => ({
            policy: name,
            instance: key,
            address,
            names,
            body,
            conditions,
            condition,
            kind,
            filter: String(condition.filter),
          })),
        ),
      ),
  );
}

/** The dashboard's JSON as jsonencode() gives it, with `count` instances. */
export function dashboardJson(count = 3): Block {
  const body = resource('monitoring', 'google_monitoring_dashboard', 'replication');
  const value = hclValue(body.dashboard_json, monitoringScope(count));
  expect(isBlock(value), 'dashboard_json is jsonencode({ … })').toBe(true);
  return value as Block;
}

/** The dashboard's tiles (mosaic layout): each widget and where it sits. */
export function dashboardTiles(dashboard: Block): Block[] {
  expect(Object.keys(dashboard), 'the deprecated gridLayout').not.toContain('gridLayout');
  const tiles = map(dashboard, 'mosaicLayout').tiles;
  expect(Array.isArray(tiles), 'mosaicLayout.tiles').toBe(true);
  return Array.isArray(tiles) ? tiles.filter(isBlock) : [];
}

/** The dashboard's widgets, tile by tile. */
export function dashboardWidgets(dashboard: Block): Block[] {
  return dashboardTiles(dashboard).map((tile) => {
    expect(isBlock(tile.widget), 'a tile holds a widget').toBe(true);
    return map(tile, 'widget');
  });
}

/** A chart's data set with what it reads: its filter and aggregation. */
export interface DataSet {
  widget: string;
  dataSet: Block;
  filter: string;
  aggregation: Block;
}

export function dataSets(dashboard: Block): DataSet[] {
  return dashboardWidgets(dashboard).flatMap((widget) => {
    const sets = (widget.xyChart as Block | undefined)?.dataSets;
    return (Array.isArray(sets) ? sets.filter(isBlock) : []).map((dataSet) => {
      const query = map(map(dataSet, 'timeSeriesQuery'), 'timeSeriesFilter');
      return {
        widget: String(widget.title),
        dataSet,
        filter: String(query.filter),
        aggregation: map(query, 'aggregation'),
      };
    });
  });
}

/** Every string in a JSON value. */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  return isBlock(value) ? Object.values(value).flatMap(allStrings) : [];
}

/** Every `filter` in a JSON value, wherever it is. */
export function allFilters(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allFilters);
  if (!isBlock(value)) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === 'filter' && typeof item === 'string' ? [item] : allFilters(item),
  );
}

/** A reference to a log-based metric: `key` undefined for every instance of it. */
const LOG_METRIC_REFERENCE = /google_logging_metric\.(\w+)(?:\[\s*"([^"]*)"\s*\])?/g;

/**
 * The log-based metrics a value refers to, through the locals it reads too.
 * A key that is an expression (`["${position}-p50"]`) stands for every key.
 */
export function logMetricsReferenced(
  value: unknown,
  module: string,
  seen = new Set<string>(),
): LogMetricReference[] {
  const text = allStrings(value).join('\n');
  const found = [...text.matchAll(LOG_METRIC_REFERENCE)].map((m) => ({
    name: m[1] ?? '',
    key: m[2]?.includes('${') ? undefined : m[2],
  }));
  for (const [, local] of text.matchAll(/\blocal\.(\w+)/g)) {
    if (local === undefined || seen.has(local)) continue;
    seen.add(local);
    found.push(...logMetricsReferenced(locals(module)[local], module, seen));
  }
  // An SLO reads the metrics of its SLI: what reads the SLO reads them too.
  for (const [, slo] of text.matchAll(/\bgoogle_monitoring_slo\.(\w+)/g)) {
    if (slo === undefined || seen.has(`slo.${slo}`)) continue;
    seen.add(`slo.${slo}`);
    for (const { body } of resources('google_monitoring_slo').filter(
      (r) => r.module === module && r.name === slo,
    )) {
      found.push(...logMetricsReferenced(only(body, 'request_based_sli'), module, seen));
    }
  }
  return found;
}

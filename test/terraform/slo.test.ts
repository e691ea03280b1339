// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The monitoring module's freshness SLOs and their burn-rate alerts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Block,
  blocks,
  hclValue,
  instancesOf,
  isBlock,
  META_ARGUMENTS,
  map,
  numberOf,
  objectOf,
  strings,
} from '../support/hcl.js';
import {
  defaultOf,
  files,
  locals,
  moduleCalls,
  only,
  README,
  resource,
  resources,
  scopeOf,
  variables,
} from '../support/hclConfig.js';
import {
  alertConditions,
  dashboardJson,
  dataSets,
  definedMetrics,
  logMetricsReferenced,
  monitoringScope,
  sampleInstances,
  sloFilters,
  sloScope,
  sloSelector,
} from '../support/hclMonitoring.js';

/** An alert condition's aggregations block, in the same schema. */
const AGGREGATION = [
  'alignment_period',
  'cross_series_reducer',
  'group_by_fields',
  'per_series_aligner',
];

/**
 * hashicorp/google 6.50 (the newest release `~> 6.40` allows): the arguments
 * of the resources the freshness SLO uses, from its schema
 * (google/services/monitoring/resource_monitoring_{custom_service,slo,alert_policy}.go).
 */
const PROVIDER_SCHEMA: Record<string, string[]> = {
  google_monitoring_custom_service: [
    'display_name',
    'project',
    'service_id',
    'telemetry',
    'user_labels',
  ],
  google_monitoring_slo: [
    'basic_sli',
    'calendar_period',
    'display_name',
    'goal',
    'project',
    'request_based_sli',
    'rolling_period_days',
    'service',
    'slo_id',
    'user_labels',
    'windows_based_sli',
  ],
  'google_monitoring_slo.request_based_sli': ['distribution_cut', 'good_total_ratio'],
  'google_monitoring_slo.request_based_sli.good_total_ratio': [
    'bad_service_filter',
    'good_service_filter',
    'total_service_filter',
  ],
  google_monitoring_alert_policy: [
    'alert_strategy',
    'combiner',
    'conditions',
    'display_name',
    'documentation',
    'enabled',
    'notification_channels',
    'project',
    'severity',
    'user_labels',
  ],
  'google_monitoring_alert_policy.conditions': [
    'condition_absent',
    'condition_matched_log',
    'condition_monitoring_query_language',
    'condition_prometheus_query_language',
    'condition_sql',
    'condition_threshold',
    'display_name',
  ],
  'google_monitoring_alert_policy.conditions.condition_threshold': [
    'aggregations',
    'comparison',
    'denominator_aggregations',
    'denominator_filter',
    'duration',
    'evaluation_missing_data',
    'filter',
    'forecast_options',
    'threshold_value',
    'trigger',
  ],
  'google_monitoring_alert_policy.conditions.condition_absent': [
    'aggregations',
    'duration',
    'filter',
    'trigger',
  ],
  'google_monitoring_alert_policy.conditions.condition_threshold.aggregations': AGGREGATION,
  'google_monitoring_alert_policy.conditions.condition_absent.aggregations': AGGREGATION,
  'google_monitoring_alert_policy.conditions.condition_threshold.trigger': ['count', 'percent'],
  'google_monitoring_alert_policy.conditions.condition_absent.trigger': ['count', 'percent'],
};

/** The provider's enums and limits for the same resources. */
const PROVIDER_ENUMS = {
  combiner: ['AND', 'OR', 'AND_WITH_MATCHING_RESOURCE'],
  severity: ['CRITICAL', 'ERROR', 'WARNING'],
  comparison: [
    'COMPARISON_GT',
    'COMPARISON_GE',
    'COMPARISON_LT',
    'COMPARISON_LE',
    'COMPARISON_EQ',
    'COMPARISON_NE',
  ],
};
/** slo_id and service_id: `^[a-zA-Z0-9\-_:.]+$`; goal: 0 < goal <= 0.9999; rolling_period_days: 1 to 30. */
const MONITORING_ID = /^[a-zA-Z0-9\-_:.]+$/;

/** Asserts that a block uses only the schema's arguments (and meta-arguments), nested blocks too. */
function schemaChecked(body: Block, path: string, where: string): void {
  const allowed = PROVIDER_SCHEMA[path];
  expect(allowed, `${path} is in PROVIDER_SCHEMA`).toBeDefined();
  for (const key of Object.keys(body)) {
    if (key === 'dynamic') {
      for (const [name, dynamics] of Object.entries(map(body, 'dynamic'))) {
        expect(allowed, `${where}: dynamic "${name}"`).toContain(name);
        for (const dynamic of Array.isArray(dynamics) ? dynamics.filter(isBlock) : []) {
          for (const content of blocks(dynamic, 'content')) {
            schemaChecked(content, `${path}.${name}`, `${where}.${name}`);
          }
        }
      }
      continue;
    }
    expect([...(allowed ?? []), ...META_ARGUMENTS], `${where}: ${key}`).toContain(key);
    const nested = `${path}.${key}`;
    if (PROVIDER_SCHEMA[nested] !== undefined) {
      for (const block of blocks(body, key)) schemaChecked(block, nested, `${where}.${key}`);
    }
  }
}

/** The SRE workbook's paging alerts (chapter 5, table 5-8), for a 30-day period. */
const WORKBOOK = [
  { budgetShare: 0.02, longS: 3600, shortS: 300, burnRate30d: 14.4 },
  { budgetShare: 0.05, longS: 21600, shortS: 1800, burnRate30d: 6 },
];

describe('terraform: freshness SLO', () => {
  it('defines one request-based freshness SLO per replica position, on a custom service, with the goal, period and target variables', () => {
    const service = resource('monitoring', 'google_monitoring_custom_service', 'replication');
    const slo = resource('monitoring', 'google_monitoring_slo', 'freshness');
    expect(slo.for_each).toBe('${local.replica_positions}');
    expect(slo.service).toBe('${google_monitoring_custom_service.replication.service_id}');
    expect(slo.goal).toBe('${var.slo_goal}');
    expect(slo.rolling_period_days).toBe('${var.slo_rolling_period_days}');
    expect(slo.calendar_period).toBeUndefined();
    expect(slo.windows_based_sli).toBeUndefined();
    expect(slo.basic_sli).toBeUndefined();
    for (const count of [1, 3, 6]) {
      const scope = sloScope({}, count);
      const ids = instancesOf(slo, scope, 'freshness').map(({ key, names }) => {
        const id = String(hclValue(slo.slo_id, scope, names));
        expect(id, `${key}`).toMatch(MONITORING_ID);
        expect(String(hclValue(slo.display_name, scope, names)), `${key}`).toContain(
          sampleInstances(count)[Number(key?.slice(1)) - 1] ?? '?',
        );
        return id;
      });
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
    }
    expect(String(hclValue(service.service_id, sloScope(), {}))).toMatch(MONITORING_ID);
    // The variables: in the root, validated there, passed on as is.
    const call = moduleCalls().get('monitoring') ?? {};
    for (const name of ['slo_goal', 'slo_rolling_period_days', 'slo_target_ms']) {
      expect(call[name], name).toBe(`\${var.${name}}`);
      const root = variables('').get(name) ?? {};
      expect(root.type, name).toBe('${number}');
      expect(blocks(root, 'validation').length, name).toBeGreaterThan(0);
    }
    expect(defaultOf('slo_goal')).toBe(0.999);
    expect(defaultOf('slo_rolling_period_days')).toBe(28);
    expect(defaultOf('slo_target_ms')).toBe(1000);
    // What Cloud Monitoring accepts, enforced where the values enter.
    const goal = String(only(variables('').get('slo_goal') ?? {}, 'validation').condition);
    expect(goal).toContain('var.slo_goal > 0');
    expect(goal).toContain('var.slo_goal <= 0.9999');
    const days = String(
      only(variables('').get('slo_rolling_period_days') ?? {}, 'validation').condition,
    );
    expect(days).toContain('var.slo_rolling_period_days >= 1');
    expect(days).toContain('var.slo_rolling_period_days <= 30');
    const target = String(only(variables('').get('slo_target_ms') ?? {}, 'validation').condition);
    expect(target).toContain('var.slo_target_ms <= var.replica_max_lag_ms');
  });

  it('computes every SLO from heartbeat counters the configuration defines: good within the target out of those the position should show', () => {
    const slo = resource('monitoring', 'google_monitoring_slo', 'freshness');
    for (const count of [1, 3, 6]) {
      const scope = sloScope({}, count);
      for (const { key, names } of instancesOf(slo, scope, 'freshness')) {
        const filters = Object.fromEntries(sloFilters(slo, scope, names));
        // Exactly two of good, bad and total: good and total.
        expect(Object.keys(filters).sort(), `${key}`).toEqual([
          'good_service_filter',
          'total_service_filter',
        ]);
        const good = definedMetrics(filters.good_service_filter ?? '', `${key} good`, scope);
        const total = definedMetrics(filters.total_service_filter ?? '', `${key} total`, scope);
        expect(good, `${key}`).toEqual([{ name: 'replica_heartbeats', key: `${key}-good` }]);
        expect(total, `${key}`).toEqual([{ name: 'replica_heartbeats', key: `${key}-total` }]);
      }
    }
    // The counters: one entry per heartbeat, counted (INT64 DELTA, no extractor).
    const metric = resource('monitoring', 'google_logging_metric', 'replica_heartbeats');
    expect(metric.for_each).toBe('${local.replica_heartbeat_metrics}');
    expect(metric.value_extractor).toBeUndefined();
    expect(metric.bucket_options).toBeUndefined();
    expect(only(metric, 'metric_descriptor')).toMatchObject({
      metric_kind: 'DELTA',
      value_type: 'INT64',
    });
    const scope = sloScope();
    for (const { key, names } of instancesOf(metric, scope, 'replica_heartbeats')) {
      const [position, kind] = (key ?? '').split('-');
      const filter = String(hclValue(metric.filter, scope, names));
      const total = `${String(hclValue(locals('monitoring').heartbeat_log_filter, scope))} AND jsonPayload.standbys="${position}"`;
      if (kind === 'total') expect(filter, `${key}`).toBe(total);
      else
        expect(filter, `${key}`).toBe(
          `${total} AND jsonPayload.visible_ms.${position}<=${defaultOf('slo_target_ms')}`,
        );
    }
    // The heartbeat lines are not the run lines: no run metric reads them, and
    // they come from the check service only.
    const heartbeat = String(locals('monitoring').heartbeat_log_filter);
    expect(heartbeat).toContain('jsonPayload.check=\\"replication-heartbeat\\"');
    expect(heartbeat).toContain('resource.labels.service_name=\\"${var.check_service_name}\\"');
    expect(String(locals('monitoring').check_log_filter)).toContain(
      'jsonPayload.check=\\"replication\\"',
    );
  });

  it("uses only the provider's arguments and values (hashicorp/google 6.50 schema)", () => {
    const types = Object.keys(PROVIDER_SCHEMA).filter((path) => !path.includes('.'));
    const checked = resources().filter((r) => types.includes(r.type));
    expect(checked.map((r) => r.type)).toEqual(expect.arrayContaining(types));
    for (const { module, type, name, body } of checked) {
      schemaChecked(body, type, `${module}: ${type}.${name}`);
    }
    for (const { name, body } of resources('google_monitoring_alert_policy')) {
      expect(PROVIDER_ENUMS.combiner, name).toContain(body.combiner);
      if (body.severity !== undefined) {
        const severities = instancesOf(body, monitoringScope(), name).map(({ names }) =>
          hclValue(body.severity, monitoringScope(), names),
        );
        for (const severity of severities)
          expect(PROVIDER_ENUMS.severity, name).toContain(severity);
      }
    }
    for (const { policy, condition } of alertConditions()) {
      if (condition.comparison !== undefined)
        expect(PROVIDER_ENUMS.comparison, policy).toContain(condition.comparison);
      expect(String(condition.duration), policy).toMatch(/^\d+s$/);
    }
    // The SLO's limits, for the variables' bounds: the provider refuses a
    // goal above 0.9999 and a rolling period outside 1 to 30 days.
    const slo = resource('monitoring', 'google_monitoring_slo', 'freshness');
    const request = only(slo, 'request_based_sli');
    expect(blocks(request, 'good_total_ratio')).toHaveLength(1);
    expect(blocks(request, 'distribution_cut')).toHaveLength(0);
    for (const [goal, valid] of [
      [0.999, true],
      [0.9999, true],
      [0.99999, false],
      [0, false],
    ] as const) {
      const condition = only(variables('').get('slo_goal') ?? {}, 'validation').condition;
      expect(hclValue(condition, scopeOf('', { slo_goal: goal })), `goal ${goal}`).toBe(valid);
    }
    for (const [days, valid] of [
      [1, true],
      [30, true],
      [31, false],
      [7.5, false],
    ] as const) {
      const condition = only(
        variables('').get('slo_rolling_period_days') ?? {},
        'validation',
      ).condition;
      expect(
        hclValue(condition, scopeOf('', { slo_rolling_period_days: days })),
        `${days} days`,
      ).toBe(valid);
    }
  });

  it('alerts per position on two burn rates over a long and a short window, thresholds and windows computed from the goal and the period', () => {
    const policy = resource('monitoring', 'google_monitoring_alert_policy', 'slo_burn');
    expect(policy.for_each).toBe('${local.slo_burn_policies}');
    expect(policy.combiner).toBe('AND');
    expect(policy.notification_channels).toBe('${var.notification_channels}');
    const condition = only(
      only(blocks(map(policy, 'dynamic'), 'conditions')[0] ?? {}, 'content'),
      'condition_threshold',
    );
    // Named once: the threshold and the lookback read the locals.
    expect(condition.threshold_value).toBe('${local.slo_burn_rate[each.value.alert]}');
    expect(blocks(map(policy, 'dynamic'), 'conditions')[0]?.for_each).toBe(
      '${local.slo_burn_windows[each.value.alert]}',
    );
    expect(condition.filter).toBe(
      'select_slo_burn_rate("${google_monitoring_slo.freshness[each.value.position].id}", "${conditions.value}s")',
    );
    expect(condition.comparison).toBe('COMPARISON_GT');
    expect(condition.aggregations).toBeUndefined();
    // The workbook's figures literally once, in local.slo_burn_alerts; none
    // of the computed thresholds or windows typed anywhere.
    const text = files
      .filter((f) => f.module === 'monitoring' && f.file.endsWith('slo.tf'))
      .flatMap((f) => f.text.split('\n'))
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    for (const literal of ['14.4', '13.44', '5.6', '"300s"', '"21600s"', '"3600s"', '0.001']) {
      expect(text, literal).not.toContain(literal);
    }
    const windowLiterals = (seconds: number) =>
      [...text.matchAll(new RegExp(`\\b${seconds}\\b`, 'g'))].length;
    expect(windowLiterals(21600)).toBe(1);
    for (const [goal, days] of [
      [0.999, 30],
      [0.999, 28],
      [0.99, 7],
      [0.9999, 14],
    ] as const) {
      const where = `goal ${goal}, ${days} days`;
      const scope = sloScope({ slo_goal: goal, slo_rolling_period_days: days });
      const conditions = alertConditions(scope).filter((c) => c.policy === 'slo_burn');
      // Two policies (alerts) per position, two windows each.
      expect(conditions.length, where).toBe(3 * WORKBOOK.length * 2);
      for (const { instance, names, condition: c, filter } of conditions) {
        const selector = sloSelector(filter);
        expect(selector?.selector, where).toBe('select_slo_burn_rate');
        expect(selector?.key, where).toBe(instance?.split('-')[0]);
        const alert = objectOf(names.each ?? null, 'each').value as { alert: string };
        const windows = objectOf(
          hclValue('${local.slo_burn_windows[each.value.alert]}', scope, names),
          'windows',
        );
        const workbook = WORKBOOK.find((w) => w.longS === windows.long);
        expect(workbook, `${where}: ${instance} is one of the workbook's alerts`).toBeDefined();
        if (workbook === undefined) continue;
        expect(windows.short, where).toBe(workbook.shortS);
        expect([workbook.longS, workbook.shortS], where).toContain(selector?.lookbackS);
        const threshold = numberOf(hclValue(c.threshold_value, scope, names), 'threshold');
        // The rate that spends budget_share of the period's budget in the long window.
        expect(threshold, where).toBeCloseTo(
          (workbook.budgetShare * days * 24 * 3600) / workbook.longS,
          9,
        );
        if (days === 30) expect(threshold, where).toBeCloseTo(workbook.burnRate30d, 9);
        // The goal: the fraction of heartbeats late it takes, in the alert's words.
        const late = numberOf(
          hclValue('${local.slo_burn_late_fraction[each.value.alert]}', scope, names),
          'late',
        );
        expect(late, where).toBeCloseTo(threshold * (1 - goal), 12);
        expect(String(alert.alert)).toMatch(/^(fast|slow)$/);
      }
      // Every display name tells the computed figures, not typed ones.
      for (const { names } of instancesOf(policy, scope, 'slo_burn')) {
        const documentation = String(hclValue(only(policy, 'documentation').content, scope, names));
        expect(documentation, where).not.toContain('${');
      }
    }
    // Severity: the fast burn pages harder than the slow one.
    const alerts = objectOf(hclValue('${local.slo_burn_alerts}', sloScope()), 'alerts');
    expect(objectOf(alerts.fast ?? null, 'fast').severity).toBe('CRITICAL');
    expect(objectOf(alerts.slow ?? null, 'slow').severity).toBe('ERROR');
  });

  it('refuses a goal or period for which an alert could never fire, or would fire while the SLO is met', () => {
    const policy = resource('monitoring', 'google_monitoring_alert_policy', 'slo_burn');
    const preconditions = blocks(only(policy, 'lifecycle'), 'precondition');
    expect(preconditions).toHaveLength(1);
    const precondition = preconditions[0] as Block;
    expect(String(precondition.error_message)).toMatch(/^[A-Z].{29,}[.)]$/);
    const holds = (goal: number, days: number) =>
      instancesOf(
        policy,
        sloScope({ slo_goal: goal, slo_rolling_period_days: days }),
        'slo_burn',
      ).every(
        ({ names }) =>
          hclValue(
            precondition.condition,
            sloScope({ slo_goal: goal, slo_rolling_period_days: days }),
            names,
          ) === true,
      );
    expect(holds(0.999, 28)).toBe(true);
    expect(holds(0.95, 30)).toBe(true);
    // 13.44 × (1 − 0.9) > 1: not even every heartbeat late reaches it.
    expect(holds(0.9, 28)).toBe(false);
    // 0.05 × 3 days / 6 h = 0.6: below 1, it fires while the SLO is met.
    expect(holds(0.999, 3)).toBe(false);
  });

  it('makes the SLOs and every burn-rate policy wait for the metrics to reach Cloud Monitoring', () => {
    const sleep = resource('monitoring', 'time_sleep', 'metrics_propagated');
    const triggered = logMetricsReferenced(sleep.triggers, 'monitoring');
    expect(triggered).toContainEqual({ name: 'replica_heartbeats', key: undefined });
    for (const type of ['google_monitoring_slo', 'google_monitoring_alert_policy']) {
      const name = type === 'google_monitoring_slo' ? 'freshness' : 'slo_burn';
      const body = resource('monitoring', type, name);
      expect(strings(body.depends_on), `${type}.${name}`).toContain(
        '${time_sleep.metrics_propagated}',
      );
    }
    // The policies read the SLOs, the SLOs the heartbeat counters.
    const policy = resource('monitoring', 'google_monitoring_alert_policy', 'slo_burn');
    expect(logMetricsReferenced(policy, 'monitoring')).toContainEqual({
      name: 'replica_heartbeats',
      key: undefined,
    });
  });

  it("charts each position's compliance and error budget left, from its SLO", () => {
    for (const count of [1, 3, 6]) {
      const scope = monitoringScope(count);
      const sets = dataSets(dashboardJson(count))
        .map((set) => ({ ...set, slo: sloSelector(set.filter) }))
        .filter((set) => set.slo !== undefined);
      for (const selector of ['select_slo_compliance', 'select_slo_budget_fraction']) {
        const charted = sets.filter((set) => set.slo?.selector === selector);
        expect(
          charted.map((set) => set.slo?.key).sort(),
          `${selector}, ${count} instances`,
        ).toEqual(
          Object.keys(objectOf(hclValue('${local.replica_positions}', scope), 'positions')).sort(),
        );
        for (const set of charted) {
          expect(set.slo?.name).toBe('freshness');
          const position = Number(set.slo?.key?.slice(1));
          expect(String(set.dataSet.legendTemplate)).toContain(
            sampleInstances(count)[position - 1],
          );
          // The SLO it charts reads the heartbeat counters.
          expect(definedMetrics(set.filter, selector, scope).map((m) => m.name)).toEqual([
            'replica_heartbeats',
            'replica_heartbeats',
          ]);
        }
      }
    }
  });

  it('documents the SLO, the choice, the alerts and what only a live project shows in the README', () => {
    const text = readFileSync(README, 'utf8');
    for (const phrase of [
      '## The freshness SLO',
      'select_slo_burn_rate',
      'select_slo_compliance',
      'select_slo_budget_fraction',
      'request-based',
      'windows-based',
      'replication-heartbeat',
      'visible_ms',
      'standbys',
    ]) {
      expect(text, phrase).toContain(phrase);
    }
    // The alert table's figures are the computed ones for the defaults.
    const scope = sloScope();
    for (const name of ['fast', 'slow']) {
      const rate = numberOf(hclValue(`\${local.slo_burn_rate["${name}"]}`, scope), name);
      expect(text, `${name} burn rate`).toContain(`| ${Number(rate.toPrecision(4))} |`);
    }
  });
});

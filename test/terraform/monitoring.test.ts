// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The monitoring module: the scheduled check, its log-based metrics and the
// alert policies.

import { describe, expect, it } from 'vitest';
import { FAILURE_TYPES } from '../../replication/reportSchema.js';
import { type Block, blocks, expressionText, hclValue, map, strings } from '../support/hcl.js';
import {
  checkMoves,
  defaultOf,
  type ExpandedInstance,
  evaluate,
  expandedInstances,
  locals,
  moduleCalls,
  numberDefault,
  only,
  outputs,
  resource,
  resources,
  rootNumbers,
  variables,
} from '../support/hclConfig.js';
import {
  type AlertCondition,
  alertConditions,
  definedMetrics,
  monitoringScope,
  sampleInstances,
  sloScope,
} from '../support/hclMonitoring.js';

/** google_monitoring_alert_policy.alert["name"]: one of the six policies of local.alert_policies. */
const policyAddress = (name: string) => `google_monitoring_alert_policy.alert["${name}"]`;
const LAG = policyAddress('lag');

/** The alert policies' instances as the provider gets them, with `count` instances. */
function policyInstances(count = 3): ExpandedInstance[] {
  return expandedInstances('monitoring', 'google_monitoring_alert_policy', sloScope({}, count));
}

/** A Monitoring filter on a log-based metric, as the module writes it. */
const logMetric = (metric: string) =>
  `metric.type="logging.googleapis.com/user/\${${metric}.name}" AND resource.type="cloud_run_revision"`;

/** An aggregation of the conditions, as the provider gets it. */
const aggregations = (
  alignment_period: string,
  per_series_aligner: string,
  cross_series_reducer: string,
  group_by_fields = ['resource.label.service_name'],
) => [{ alignment_period, per_series_aligner, cross_series_reducer, group_by_fields }];

/**
 * The six policies as they were when each was a resource of its own: every
 * argument of every condition (a field not listed is not set), and the
 * documentation by its opening words. With the default name_prefix.
 */
const EXPECTED_POLICIES = (instances: string[]): Record<string, Block> => ({
  check_failed: {
    display_name: 'pg-replica: replication check failing',
    severity: 'CRITICAL',
    documentation: /^The replication check failed more than once in five minutes/,
    conditions: [
      {
        display_name: 'More than one failed replication check in 5 minutes',
        condition_threshold: [
          {
            filter: logMetric('google_logging_metric.failures'),
            comparison: 'COMPARISON_GT',
            threshold_value: 1,
            duration: '0s',
            aggregations: aggregations('300s', 'ALIGN_SUM', 'REDUCE_SUM'),
          },
        ],
      },
    ],
  },
  uptime: {
    display_name: 'pg-replica: api /status down',
    severity: 'CRITICAL',
    documentation:
      /^GET \/status on the api service fails from more than one uptime checker region/,
    conditions: [
      {
        display_name: 'Uptime check on /status failing',
        condition_threshold: [
          {
            filter:
              'metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND metric.label.check_id="${google_monitoring_uptime_check_config.api_status.uptime_check_id}" AND resource.type="uptime_url"',
            comparison: 'COMPARISON_GT',
            threshold_value: 1,
            duration: '300s',
            aggregations: aggregations('1200s', 'ALIGN_NEXT_OLDER', 'REDUCE_COUNT_FALSE', [
              'resource.label.*',
            ]),
          },
        ],
      },
    ],
  },
  lag: {
    display_name: 'pg-replica: replication lag high',
    severity: 'WARNING',
    documentation:
      /^A replica takes longer than the threshold to show a row committed on the primary/,
    conditions: instances.map((instance, index) => ({
      display_name: `Replica r${index + 1} (${instance}): median lag over 10 minutes above \${var.lag_alert_threshold_ms} ms`,
      condition_threshold: [
        {
          filter: logMetric(`google_logging_metric.replica_lag["r${index + 1}-p50"]`),
          comparison: 'COMPARISON_GT',
          threshold_value: '${var.lag_alert_threshold_ms}',
          duration: '0s',
          aggregations: aggregations('600s', 'ALIGN_PERCENTILE_50', 'REDUCE_MAX'),
        },
      ],
    })),
  },
  check_absent: {
    display_name: 'pg-replica: replication check not reporting',
    severity: 'ERROR',
    documentation: /^No successful replication check was logged for ten minutes/,
    conditions: [
      {
        display_name: 'No successful replication check for 10 minutes',
        condition_absent: [
          {
            filter: logMetric('google_logging_metric.lag'),
            duration: '600s',
            aggregations: aggregations('300s', 'ALIGN_DELTA', 'REDUCE_COUNT'),
          },
        ],
      },
    ],
  },
  slot_lost: {
    display_name: 'pg-replica: replication slot lost',
    severity: 'CRITICAL',
    documentation: /^A replication check found a replication slot whose `wal_status` is `lost`/,
    conditions: [
      {
        display_name: 'A replication check found a slot with wal_status lost or unreserved',
        condition_threshold: [
          {
            filter: logMetric('google_logging_metric.slot_lost'),
            comparison: 'COMPARISON_GT',
            threshold_value: 0,
            duration: '0s',
            evaluation_missing_data: 'EVALUATION_MISSING_DATA_INACTIVE',
            aggregations: aggregations('300s', 'ALIGN_SUM', 'REDUCE_SUM'),
            trigger: [{ count: 1 }],
          },
        ],
      },
    ],
  },
  failover: {
    display_name: 'pg-replica: PostgreSQL failover',
    severity: 'ERROR',
    documentation: /^The replication check saw the primary change/,
    conditions: [
      {
        display_name: 'A replication check saw a failover',
        condition_threshold: [
          {
            filter: logMetric('google_logging_metric.failover'),
            comparison: 'COMPARISON_GT',
            threshold_value: 0,
            duration: '0s',
            evaluation_missing_data: 'EVALUATION_MISSING_DATA_INACTIVE',
            aggregations: aggregations('300s', 'ALIGN_SUM', 'REDUCE_SUM'),
            trigger: [{ count: 1 }],
          },
        ],
      },
    ],
  },
});

describe('terraform: monitoring', () => {
  it('calls the check every minute with an OIDC token of the scheduler account', () => {
    const job = resource('monitoring', 'google_cloud_scheduler_job', 'replication_check');
    const schedule = String(job.schedule).match(/^\$\{var\.(\w+)\}$/)?.[1];
    expect(schedule).toBe('schedule');
    expect(moduleCalls().get('monitoring')?.schedule).toBe('* * * * *');
    const target = only(job, 'http_target');
    expect(target.http_method).toBe('POST');
    expect(blocks(target, 'oauth_token')).toEqual([]);
    expect(only(target, 'oidc_token')).toEqual({
      service_account_email: '${var.scheduler_service_account_email}',
      audience: '${var.check_url}',
    });
    expect(moduleCalls().get('monitoring')?.scheduler_service_account_email).toBe(
      '${module.run.scheduler_service_account_email}',
    );
  });

  it('runs a sampling window that covers the minute: samples × interval_ms ≤ 60 s', () => {
    const target = only(
      resource('monitoring', 'google_cloud_scheduler_job', 'replication_check'),
      'http_target',
    );
    expect(target.uri).toBe(
      '${var.check_url}/replication_check?samples=${var.check_samples}&interval_ms=${var.check_interval_ms}',
    );
    expect(moduleCalls().get('monitoring')).toMatchObject({
      check_samples: '${var.check_samples}',
      check_interval_ms: '${var.check_interval_ms}',
    });
    expect(defaultOf('check_samples')).toBe(60);
    expect(defaultOf('check_interval_ms')).toBe(1000);
    const condition = String(
      only(variables('').get('check_samples') ?? {}, 'validation').condition,
    ).replace(/\s+/g, ' ');
    expect(condition).toContain('var.check_samples * var.check_interval_ms <= 60000');
    for (const [name, low, high] of [
      ['check_samples', 1, 600],
      ['check_interval_ms', 100, 60000],
    ] as const) {
      const text = String(only(variables('').get(name) ?? {}, 'validation').condition);
      expect(text, name).toContain(`var.${name} >= ${low}`);
      expect(text, name).toContain(`var.${name} <= ${high}`);
    }
  });

  it("gives the scheduler an attempt deadline that outlasts the check service's timeout", () => {
    const job = resource('monitoring', 'google_cloud_scheduler_job', 'replication_check');
    expect(job.attempt_deadline).toBe('${var.attempt_deadline_s}s');
    const monitoring = moduleCalls().get('monitoring') ?? {};
    const run = moduleCalls().get('run') ?? {};
    const cases: Record<string, number>[] = [
      {},
      { check_samples: 600, check_interval_ms: 100 },
      { replica_max_lag_ms: 20000, db_query_timeout_ms: 30000, db_connect_timeout_ms: 10000 },
    ];
    for (const overrides of cases) {
      const vars = rootNumbers(overrides);
      const v = (name: string) => vars[name] as number;
      const where = JSON.stringify(overrides);
      const deadline = evaluate(monitoring.attempt_deadline_s, '', vars);
      const windowMs = v('check_samples') * v('check_interval_ms');
      const tailMs = v('replica_max_lag_ms') + v('db_query_timeout_ms') + 1000;
      expect(deadline * 1000, where).toBeGreaterThanOrEqual(windowMs + tailMs + 5000);
      expect(deadline, where).toBeGreaterThanOrEqual(evaluate(run.check_timeout_s, '', vars));
      expect(deadline, `Cloud Scheduler allows 15 s to 1800 s ${where}`).toBeGreaterThanOrEqual(15);
      expect(deadline, `Cloud Scheduler allows 15 s to 1800 s ${where}`).toBeLessThanOrEqual(1800);
    }
    const validation = String(
      only(variables('monitoring').get('attempt_deadline_s') ?? {}, 'validation').condition,
    );
    expect(validation).toContain('var.attempt_deadline_s >= 15');
    expect(validation).toContain('var.attempt_deadline_s <= 1800');
  });

  it('checks /status of the api service', () => {
    const uptime = resource('monitoring', 'google_monitoring_uptime_check_config', 'api_status');
    expect(only(uptime, 'http_check')).toMatchObject({ path: '/status', use_ssl: true });
    expect(moduleCalls().get('monitoring')?.api_url).toBe('${module.run.api_url}');
  });

  it("turns the check's log line into a worst-lag distribution and failures counted by type", () => {
    const lag = resource('monitoring', 'google_logging_metric', 'lag');
    expect(lag.value_extractor).toBe('EXTRACT(jsonPayload.lag_ms)');
    expect(only(lag, 'metric_descriptor')).toMatchObject({
      metric_kind: 'DELTA',
      value_type: 'DISTRIBUTION',
    });
    const filter = String(locals('monitoring').check_log_filter);
    expect(filter).toContain('jsonPayload.check=\\"replication\\"');
    expect(filter).toContain('resource.labels.service_name=\\"${var.check_service_name}\\"');
    expect(String(lag.filter)).toContain('severity=INFO');
    const failures = resource('monitoring', 'google_logging_metric', 'failures');
    expect(String(failures.filter)).toContain('severity=ERROR');
    expect(map(failures, 'label_extractors')).toEqual({
      type: 'EXTRACT(jsonPayload.failure_type)',
    });
    expect(blocks(only(failures, 'metric_descriptor'), 'labels')).toEqual([
      expect.objectContaining({ key: 'type', value_type: 'STRING' }),
    ]);
  });

  it('charts the p50 and p99 lag of every replica position, one position per instance', () => {
    // Positions follow the instances: the postgres module's names, in the
    // order of its addresses (POSTGRES_REPLICA_ENDPOINTS).
    expect(moduleCalls().get('monitoring')?.replica_instances).toBe(
      '${module.postgres.instance_names}',
    );
    const monitoringLocals = locals('monitoring');
    expect(expressionText(monitoringLocals.replica_positions)).toBe(
      '{ for index, instance in var.replica_instances : "r${index + 1}" => instance }',
    );
    expect(monitoringLocals.lag_statistics).toEqual(['p50', 'p99']);
    expect(expressionText(monitoringLocals.replica_lag_metrics)).toBe(
      '{ for pair in setproduct(keys(local.replica_positions), local.lag_statistics) : "${pair[0]}-${pair[1]}" => { position = pair[0], statistic = pair[1] } }',
    );
    const metric = resource('monitoring', 'google_logging_metric', 'replica_lag');
    expect(metric.for_each).toBe('${local.replica_lag_metrics}');
    const field = 'jsonPayload.replica_lag_ms.${each.value.position}.${each.value.statistic}';
    expect(metric.value_extractor).toBe(`EXTRACT(${field})`);
    // Only runs in which this replica showed a value: null is no point, not 0.
    expect(metric.filter).toBe(`\${local.check_log_filter} AND ${field}>=0`);
    expect(String(metric.name)).toContain('${each.value.position}-${each.value.statistic}');
    expect(only(metric, 'metric_descriptor')).toMatchObject({
      metric_kind: 'DELTA',
      value_type: 'DISTRIBUTION',
      unit: 'ms',
    });
    // Every instance the root module allows gets a position, within the
    // monitoring module's bound (one alert condition per position).
    const rootMax = String(
      only(variables('').get('postgres_instances') ?? {}, 'validation').condition,
    ).match(/var\.postgres_instances <= (\d+)/)?.[1];
    const positionsMax = String(
      only(variables('monitoring').get('replica_instances') ?? {}, 'validation').condition,
    ).match(/length\(var\.replica_instances\) <= (\d+)/)?.[1];
    expect(Number(rootMax)).toBeGreaterThanOrEqual(numberDefault('postgres_instances'));
    expect(Number(rootMax)).toBeLessThanOrEqual(Number(positionsMax));
    expect(Number(positionsMax), 'Cloud Monitoring: 6 conditions per policy').toBeLessThanOrEqual(
      6,
    );
    // Exponential buckets from well under 1 ms to about 30 s (at least twice
    // the p99 alert's threshold, so it falls in a finite bucket).
    const buckets = only(only(metric, 'bucket_options'), 'exponential_buckets');
    const vars = { replica_max_lag_ms: numberDefault('replica_max_lag_ms') };
    const scale = evaluate(buckets.scale, 'monitoring', vars);
    const growth = evaluate(buckets.growth_factor, 'monitoring', vars);
    const count = evaluate(buckets.num_finite_buckets, 'monitoring', vars);
    expect(scale).toBeLessThan(0.5);
    expect(scale * growth ** count).toBeGreaterThanOrEqual(30000);
    expect(scale * growth ** count).toBeLessThan(60000);
    const slow = { replica_max_lag_ms: 60000 };
    const slowCount = evaluate(buckets.num_finite_buckets, 'monitoring', slow);
    expect(scale * growth ** slowCount).toBeGreaterThanOrEqual(2 * 60000);
  });

  it("alerts on failed checks, uptime, lag, a silent check, a lost slot, a failover and each replica's freshness budget burning, to the configured channels", () => {
    // Two definitions: the six policies (for_each over local.alert_policies)
    // and the burn-rate ones (slo.tf).
    const policies = resources('google_monitoring_alert_policy');
    expect(policies.map((p) => p.name).sort()).toEqual(['alert', 'slo_burn']);
    expect(Object.keys(map(locals('monitoring'), 'alert_policies')).sort()).toEqual(
      ['check_absent', 'check_failed', 'failover', 'lag', 'slot_lost', 'uptime'].sort(),
    );
    for (const { name, body } of policies) {
      expect(body.notification_channels, name).toBe('${var.notification_channels}');
    }
    for (const { address, body } of policyInstances()) {
      expect(body.notification_channels, address).toBe('${var.notification_channels}');
    }
    // Each entry's conditions, as written in local.alert_policies.
    const condition = (name: string) => {
      const conditions = map(map(locals('monitoring'), 'alert_policies'), name).conditions;
      expect(Array.isArray(conditions) && conditions.length === 1, name).toBe(true);
      return (conditions as Block[])[0] as Block;
    };
    expect(condition('check_failed')).toMatchObject({
      absent: false,
      filter: '${local.failure_metric}',
    });
    expect(String(condition('uptime').filter)).toContain('uptime_check/check_passed');
    expect(condition('check_absent')).toMatchObject({
      absent: true,
      filter: '${local.lag_metric}',
    });
    expect(moduleCalls().get('monitoring')?.notification_channels).toBe(
      '${var.alert_notification_channels}',
    );
  });

  it("alerts on each replica position's median above the lag threshold, and on no p99 threshold (the freshness SLO's burn rates do)", () => {
    // One condition per position (a for expression over the positions), none fixed.
    const lag = map(map(locals('monitoring'), 'alert_policies'), 'lag');
    expect(expressionText(lag.conditions)).toMatch(
      /^\[ for position, instance in local\.replica_positions : \{/,
    );
    for (const count of [1, 3, 5]) {
      const scope = sloScope({}, count);
      const conditions = alertConditions(scope).filter((c) => c.address === LAG);
      expect(conditions.map((c) => c.kind)).toEqual(Array(count).fill('condition_threshold'));
      conditions.forEach(({ condition, conditions: named }, index) => {
        const position = `r${index + 1}`;
        expect(condition, position).toMatchObject({
          filter: String(hclValue(`\${local.replica_lag_p50_metric["${position}"]}`, scope)),
          comparison: 'COMPARISON_GT',
          threshold_value: '${var.lag_alert_threshold_ms}',
        });
        expect(only(condition, 'aggregations')).toMatchObject({
          alignment_period: '600s',
          per_series_aligner: 'ALIGN_PERCENTILE_50',
        });
        expect(String(named.display_name)).toContain(
          `${position} (${sampleInstances(count)[index]})`,
        );
      });
    }
    expect(expressionText(locals('monitoring').replica_lag_p50_metric)).toContain(
      'for position in keys(local.replica_positions) : position => "metric.type=\\"logging.googleapis.com/user/${google_logging_metric.replica_lag["${position}-p50"].name}\\"',
    );
    // The p99 threshold alert is gone: nothing alerts on a p99 metric or aligner.
    for (const { address, condition, filter } of alertConditions()) {
      for (const aggregation of blocks(condition, 'aggregations')) {
        expect(aggregation.per_series_aligner, address).not.toBe('ALIGN_PERCENTILE_99');
      }
      for (const metric of definedMetrics(filter, address, monitoringScope())) {
        expect(metric.key ?? '', address).not.toMatch(/-p99$/);
      }
    }
  });

  it('alerts only on metrics the configuration defines', () => {
    // Each condition's filter, evaluated (one per position for the lag
    // policies), for several instance counts.
    for (const count of [2, 3, 5]) {
      const scope = sloScope({}, count);
      const conditions = alertConditions(scope);
      // Five fixed, the median per position, and per position two burn-rate
      // policies of two windows each.
      expect(conditions.length).toBe(5 + count + 4 * count);
      const reading = conditions.filter(
        ({ policy, filter }) =>
          definedMetrics(filter, `${policy} (${count} instances)`, scope).length > 0,
      );
      expect(reading.length).toBe(conditions.length - 1); // all but the uptime check
    }
  });

  it('alerts on any run that finds a slot lost or unreserved, and on any failover', () => {
    for (const [policy, metric] of [
      ['slot_lost', 'slot_lost'],
      ['failover', 'failover'],
    ] as const) {
      const conditions = alertConditions().filter((c) => c.address === policyAddress(policy));
      expect(conditions, policy).toHaveLength(1);
      const { condition, filter } = conditions[0] as AlertCondition;
      expect(definedMetrics(filter, policy, monitoringScope()), policy).toEqual([
        { name: metric, key: undefined },
      ]);
      // Any occurrence: a count above 0, at once, and a window without runs
      // reporting one is "nothing happened" (the incident closes).
      expect(condition, policy).toMatchObject({
        comparison: 'COMPARISON_GT',
        threshold_value: 0,
        duration: '0s',
        evaluation_missing_data: 'EVALUATION_MISSING_DATA_INACTIVE',
      });
      const aggregation = only(condition, 'aggregations');
      expect(['ALIGN_SUM', 'ALIGN_DELTA', 'ALIGN_COUNT'], policy).toContain(
        aggregation.per_series_aligner,
      );
      expect([undefined, 'REDUCE_SUM', 'REDUCE_COUNT'], policy).toContain(
        aggregation.cross_series_reducer,
      );
      // A short window: the next runs' occurrences keep the incident open.
      expect(Number.parseInt(String(aggregation.alignment_period), 10), policy).toBeLessThanOrEqual(
        300,
      );
      for (const trigger of blocks(condition, 'trigger')) expect(trigger.count, policy).toBe(1);
      // Counted per run, from the check's line.
      const body = resource('monitoring', 'google_logging_metric', metric);
      expect(only(body, 'metric_descriptor'), metric).toMatchObject({
        metric_kind: 'DELTA',
        value_type: 'INT64',
      });
      expect(String(body.filter), metric).toMatch(/^\$\{local\.check_log_filter\} AND /);
      // What to do, in the notification.
      const documentation = only((conditions[0] as AlertCondition).body, 'documentation');
      expect(String(documentation.content).length, policy).toBeGreaterThan(200);
    }
    // A comparison with the failures array matches when any element does.
    const slotLost = resource('monitoring', 'google_logging_metric', 'slot_lost');
    expect(slotLost.filter).toBe('${local.check_log_filter} AND jsonPayload.failures="slot-lost"');
    expect(FAILURE_TYPES).toContain('slot-lost');
    const failover = resource('monitoring', 'google_logging_metric', 'failover');
    expect(failover.filter).toBe('${local.check_log_filter} AND jsonPayload.failover=true');
  });

  it('defines the six policies once: one google_monitoring_alert_policy, for_each over local.alert_policies, each as it was', () => {
    const definition = resource('monitoring', 'google_monitoring_alert_policy', 'alert');
    expect(definition.for_each).toBe('${local.alert_policies}');
    expect(strings(definition.depends_on)).toEqual(['${time_sleep.metrics_propagated}']);
    for (const count of [1, 3, 5]) {
      const expected = EXPECTED_POLICIES(sampleInstances(count));
      const found = policyInstances(count).filter((p) => p.name === 'alert');
      expect(found.map((p) => p.key).sort(), `${count} instances`).toEqual(
        Object.keys(expected).sort(),
      );
      for (const { key, address, body } of found) {
        const { documentation, ...policy } = expected[key ?? ''] ?? {};
        expect(body, `${address}, ${count} instances`).toEqual({
          project: '${var.project_id}',
          combiner: 'OR',
          notification_channels: '${var.notification_channels}',
          ...policy,
          documentation: [
            { mime_type: 'text/markdown', content: expect.stringMatching(documentation as RegExp) },
          ],
          alert_strategy: [{ auto_close: '1800s' }],
        });
      }
    }
  });

  it('moves an existing state from the six policy resources to the for_each instances', () => {
    const moves = checkMoves('monitoring', sloScope());
    const names = Object.keys(map(locals('monitoring'), 'alert_policies')).sort();
    expect(moves.map(([from, to]) => [from, to]).sort()).toEqual(
      names.map((name) => [
        `\${google_monitoring_alert_policy.${name}}`,
        `\${google_monitoring_alert_policy.alert["${name}"]}`,
      ]),
    );
    // The output keeps its keys: the six by name, and the burn-rate policies.
    expect(expressionText(outputs('monitoring').get('alert_policy_ids')?.value)).toBe(
      'merge( { for key, policy in google_monitoring_alert_policy.alert : key => policy.id }, { slo_burn = { for key, policy in google_monitoring_alert_policy.slo_burn : key => policy.id } }, )',
    );
  });
});

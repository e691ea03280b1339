// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The monitoring module: the scheduled check, its log-based metrics and the
// alert policies.

import { describe, expect, it } from 'vitest';
import { FAILURE_TYPES } from '../../replication/failures.js';
import { blocks, expressionText, map } from '../support/hcl.js';
import {
  defaultOf,
  evaluate,
  locals,
  moduleCalls,
  numberDefault,
  only,
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
  sloScope,
} from '../support/hclMonitoring.js';

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
    const policies = resources('google_monitoring_alert_policy');
    expect(policies.map((p) => p.name).sort()).toEqual(
      ['check_absent', 'check_failed', 'failover', 'lag', 'slo_burn', 'slot_lost', 'uptime'].sort(),
    );
    for (const { name, body } of policies) {
      expect(body.notification_channels, name).toBe('${var.notification_channels}');
    }
    const policy = (name: string) => resource('monitoring', 'google_monitoring_alert_policy', name);
    const condition = (name: string) => only(policy(name), 'conditions');
    expect(String(only(condition('check_failed'), 'condition_threshold').filter)).toBe(
      '${local.failure_metric}',
    );
    expect(String(only(condition('uptime'), 'condition_threshold').filter)).toContain(
      'uptime_check/check_passed',
    );
    expect(only(condition('check_absent'), 'condition_absent').filter).toBe('${local.lag_metric}');
    expect(moduleCalls().get('monitoring')?.notification_channels).toBe(
      '${var.alert_notification_channels}',
    );
  });

  it("alerts on each replica position's median above the lag threshold, and on no p99 threshold (the freshness SLO's burn rates do)", () => {
    const body = resource('monitoring', 'google_monitoring_alert_policy', 'lag');
    // One condition per position (dynamic over the positions), none fixed.
    expect(blocks(body, 'conditions')).toEqual([]);
    const dynamic = blocks(map(body, 'dynamic'), 'conditions');
    expect(dynamic).toHaveLength(1);
    expect(dynamic[0]?.for_each).toBe('${local.replica_positions}');
    const thresholdCondition = only(only(dynamic[0] ?? {}, 'content'), 'condition_threshold');
    expect(thresholdCondition).toMatchObject({
      filter: '${local.replica_lag_p50_metric[conditions.key]}',
      comparison: 'COMPARISON_GT',
      threshold_value: '${var.lag_alert_threshold_ms}',
    });
    expect(only(thresholdCondition, 'aggregations')).toMatchObject({
      alignment_period: '600s',
      per_series_aligner: 'ALIGN_PERCENTILE_50',
    });
    expect(expressionText(locals('monitoring').replica_lag_p50_metric)).toContain(
      'for position in keys(local.replica_positions) : position => "metric.type=\\"logging.googleapis.com/user/${google_logging_metric.replica_lag["${position}-p50"].name}\\"',
    );
    // The p99 threshold alert is gone: nothing alerts on a p99 metric or aligner.
    for (const { policy, instance, condition, filter } of alertConditions()) {
      const where = `${policy}${instance ? `["${instance}"]` : ''}`;
      for (const aggregation of blocks(condition, 'aggregations')) {
        expect(aggregation.per_series_aligner, where).not.toBe('ALIGN_PERCENTILE_99');
      }
      for (const metric of definedMetrics(filter, where, monitoringScope())) {
        expect(metric.key ?? '', where).not.toMatch(/-p99$/);
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
      const conditions = alertConditions().filter((c) => c.policy === policy);
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
      const documentation = only(
        resource('monitoring', 'google_monitoring_alert_policy', policy),
        'documentation',
      );
      expect(String(documentation.content).length, policy).toBeGreaterThan(200);
    }
    // A comparison with the failures array matches when any element does.
    const slotLost = resource('monitoring', 'google_logging_metric', 'slot_lost');
    expect(slotLost.filter).toBe('${local.check_log_filter} AND jsonPayload.failures="slot-lost"');
    expect(FAILURE_TYPES).toContain('slot-lost');
    const failover = resource('monitoring', 'google_logging_metric', 'failover');
    expect(failover.filter).toBe('${local.check_log_filter} AND jsonPayload.failover=true');
  });
});

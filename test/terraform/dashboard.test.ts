// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The monitoring module's dashboard: what each chart reads, evaluated from its
// jsonencode(…) for several instance counts.

import { describe, expect, it } from 'vitest';
import { hclValue, objectOf } from '../support/hcl.js';
import { moduleCalls, outputs, resource, variables } from '../support/hclConfig.js';
import {
  allFilters,
  allStrings,
  dashboardJson,
  dashboardWidgets,
  dataSets,
  definedMetrics,
  metricTypes,
  monitoringScope,
  RUN_SERVICE_VARIABLES,
  references,
  sampleInstances,
} from '../support/hclMonitoring.js';

describe('terraform: dashboard', () => {
  it("charts each replica position's p50 and p99 lag: one data set per position and statistic, named by its instance", () => {
    for (const count of [1, 3, 6]) {
      const scope = monitoringScope(count);
      const instances = sampleInstances(count);
      const lag = dataSets(dashboardJson(count)).flatMap((set) =>
        definedMetrics(set.filter, set.widget, scope)
          .filter((m) => m.name === 'replica_lag')
          .map((m) => ({ ...set, key: m.key ?? '' })),
      );
      // Exactly the metric's for_each keys, each once.
      const keys = Object.keys(
        objectOf(
          hclValue(resource('monitoring', 'google_logging_metric', 'replica_lag').for_each, scope),
          'replica_lag',
        ),
      );
      expect(keys).toHaveLength(2 * count);
      expect(lag.map((l) => l.key).sort(), `${count} instances`).toEqual([...keys].sort());
      for (const { key, dataSet, aggregation } of lag) {
        const [position, statistic] = key.split('-');
        const instance = instances[Number(position?.slice(1)) - 1] ?? '?';
        expect(String(dataSet.legendTemplate), key).toContain(instance);
        const percentile = statistic?.slice(1);
        const aligned = aggregation.perSeriesAligner === `ALIGN_PERCENTILE_${percentile}`;
        const reduced =
          aggregation.perSeriesAligner === 'ALIGN_DELTA' &&
          aggregation.crossSeriesReducer === `REDUCE_PERCENTILE_${percentile}`;
        expect(aligned || reduced, `${key}: ${JSON.stringify(aggregation)}`).toBe(true);
      }
    }
  });

  it('charts failed checks by type, and the runs with a lost slot or a failover', () => {
    const sets = dataSets(dashboardJson());
    const reading = (name: string) =>
      sets.filter((set) =>
        definedMetrics(set.filter, set.widget, monitoringScope()).some((m) => m.name === name),
      );
    const failures = reading('failures');
    expect(failures.length).toBeGreaterThan(0);
    for (const { aggregation } of failures) {
      expect(aggregation.groupByFields).toEqual(['metric.label.type']);
      expect(aggregation.crossSeriesReducer).toBe('REDUCE_SUM');
    }
    expect(reading('slot_lost').length).toBeGreaterThan(0);
    expect(reading('failover').length).toBeGreaterThan(0);
  });

  it("charts the api's requests by response class, its latency p50 and p99, its 5xx, and both services' instances", () => {
    const run = dataSets(dashboardJson()).flatMap((set) => {
      const [type] = metricTypes(set.filter);
      const service = set.filter.match(/resource\.labels?\.service_name\s*=\s*"([^"]*)"/)?.[1];
      return type?.startsWith('run.googleapis.com/') ? [{ ...set, type, service }] : [];
    });
    const api = '${var.api_service_name}';
    const fiveXx = /metric\.labels?\.response_code_class\s*=\s*"5xx"/;
    const requests = run.filter(
      (r) => r.type === 'run.googleapis.com/request_count' && !fiveXx.test(r.filter),
    );
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.service).toBe(api);
      expect(r.aggregation.perSeriesAligner).toBe('ALIGN_RATE');
      expect(r.aggregation.groupByFields).toEqual(['metric.label.response_code_class']);
    }
    const latency = run.filter((r) => r.type === 'run.googleapis.com/request_latencies');
    expect(latency.map((r) => r.service)).toEqual([api, api]);
    expect(latency.map((r) => r.aggregation.crossSeriesReducer).sort()).toEqual([
      'REDUCE_PERCENTILE_50',
      'REDUCE_PERCENTILE_99',
    ]);
    for (const r of latency) expect(r.aggregation.perSeriesAligner).toBe('ALIGN_DELTA');
    const errors = run.filter(
      (r) => r.type === 'run.googleapis.com/request_count' && fiveXx.test(r.filter),
    );
    expect(errors.map((r) => r.service)).toEqual([api]);
    const instances = run.filter((r) => r.type === 'run.googleapis.com/container/instance_count');
    expect(instances.map((r) => r.service).sort()).toEqual([...RUN_SERVICE_VARIABLES].sort());
  });

  it('charts only metrics the configuration defines, or Cloud Run built-ins of its own services', () => {
    for (const count of [1, 3]) {
      const dashboard = dashboardJson(count);
      const scope = monitoringScope(count);
      // Every widget reads something; nothing in a query language these tests cannot read.
      for (const widget of dashboardWidgets(dashboard)) {
        expect(allFilters(widget).length, String(widget.title)).toBeGreaterThan(0);
      }
      const text = JSON.stringify(dashboard);
      for (const language of ['timeSeriesQueryLanguage', 'prometheusQuery']) {
        expect(text).not.toContain(language);
      }
      for (const filter of allFilters(dashboard)) definedMetrics(filter, 'dashboard', scope);
      // What is left unresolved: the module's variables and the metrics' names.
      const declared = variables('monitoring');
      for (const reference of allStrings(dashboard).flatMap(references)) {
        const variable = reference.match(/^var\.(\w+)$/)?.[1];
        if (variable !== undefined) expect(declared.has(variable), reference).toBe(true);
        else
          expect(reference).toMatch(
            /^(google_logging_metric\.\w+(\["[^"]+"\])?\.name|google_monitoring_slo\.\w+\["[^"]+"\]\.id)$/,
          );
      }
    }
    // The services are the run module's.
    expect(moduleCalls().get('monitoring')).toMatchObject({
      api_service_name: '${module.run.api_service_name}',
      check_service_name: '${module.run.check_service_name}',
    });
    expect(outputs('run').get('api_service_name')?.value).toBe(
      '${google_cloud_run_v2_service.this["api"].name}',
    );
    expect(outputs('run').get('check_service_name')?.value).toBe(
      '${google_cloud_run_v2_service.this["check"].name}',
    );
  });

  it('outputs the dashboard id', () => {
    expect(outputs('monitoring').get('dashboard_id')?.value).toBe(
      '${google_monitoring_dashboard.replication.id}',
    );
    expect(outputs('').get('dashboard_id')?.value).toBe('${module.monitoring.dashboard_id}');
  });
});

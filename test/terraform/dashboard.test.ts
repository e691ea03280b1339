// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The monitoring module's dashboard: what each chart reads, evaluated from its
// jsonencode(…) for several instance counts.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Block, hclValue, map, objectOf, written } from '../support/hcl.js';
import { files, moduleCalls, outputs, resource, variables } from '../support/hclConfig.js';
import {
  allFilters,
  allStrings,
  dashboardJson,
  dashboardTiles,
  dashboardWidgets,
  dataSets,
  definedMetrics,
  metricTypes,
  monitoringScope,
  RUN_SERVICE_VARIABLES,
  references,
  sampleInstances,
} from '../support/hclMonitoring.js';

/** The charts, row by row as the header of dashboard.tf draws them: left, right. */
const ROWS = [
  [
    'Freshness SLO: heartbeats visible within ${var.slo_target_ms} ms over ${var.slo_rolling_period_days} days, by position',
    'Freshness SLO: error budget left, by position',
  ],
  [
    'Replica lag p50 per run (ms), by position and instance',
    'Replica lag p99 per run (ms), by position and instance',
  ],
  ['Failed replication checks by type', 'Runs that found a lost slot, and failovers'],
  ['api requests per second, by response class', 'api request latency p50 and p99 (ms)'],
  ['api 5xx responses per second', 'Instances of the api and check services'],
];

/** The mosaic's grid: 48 columns, two charts a row, each 24 columns wide and 16 high. */
const COLUMNS = 48;
const TILE = { width: 24, height: 16 };

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

  it('lays the charts out on a mosaic of 48 columns (not the deprecated gridLayout): two a row, 24 × 16 tiles, no overlap, no gap', () => {
    for (const count of [1, 3, 6]) {
      const dashboard = dashboardJson(count);
      expect(Object.keys(dashboard).sort()).toEqual(['displayName', 'mosaicLayout']);
      expect(map(dashboard, 'mosaicLayout').columns).toBe(COLUMNS);
      const tiles = dashboardTiles(dashboard);
      expect(tiles).toHaveLength(2 * ROWS.length);
      tiles.forEach((tile, index) => {
        const where = `tile ${index} (${String(map(tile, 'widget').title)})`;
        expect(Object.keys(tile).sort(), where).toEqual([
          'height',
          'widget',
          'width',
          'xPos',
          'yPos',
        ]);
        // In reading order: row by row, left then right.
        expect(tile, where).toMatchObject({
          xPos: (index % 2) * TILE.width,
          yPos: Math.floor(index / 2) * TILE.height,
          ...TILE,
        });
        expect(Number(tile.xPos) + Number(tile.width), where).toBeLessThanOrEqual(COLUMNS);
      });
      // No two tiles overlap.
      const overlap = (a: Block, b: Block) =>
        Number(a.xPos) < Number(b.xPos) + Number(b.width) &&
        Number(b.xPos) < Number(a.xPos) + Number(a.width) &&
        Number(a.yPos) < Number(b.yPos) + Number(b.height) &&
        Number(b.yPos) < Number(a.yPos) + Number(a.height);
      tiles.forEach((a, i) => {
        tiles.slice(i + 1).forEach((b, j) => {
          expect(overlap(a, b), `tiles ${i} and ${i + 1 + j}`).toBe(false);
        });
      });
    }
    // Every tile written out, its place in figures and its widget by name.
    const text = files.find((f) => f.file.endsWith(path.join('monitoring', 'dashboard.tf')))?.text;
    const written = [
      ...String(text).matchAll(
        /^ {8}\{ xPos = \d+, yPos = \d+, width = \d+, height = \d+, widget = local\.\w+\.\w+ \},$/gm,
      ),
    ];
    expect(written).toHaveLength(2 * ROWS.length);
  });

  it('keeps every chart, each on one tile, in the rows the header of dashboard.tf draws', () => {
    for (const count of [1, 3, 6]) {
      const scope = monitoringScope(count);
      const widgets = dashboardWidgets(dashboardJson(count));
      expect(widgets.map((w) => w.title)).toEqual(ROWS.flat());
      // Every widget the locals define is placed once, and nothing else is.
      const defined = ['slo_widgets', 'replica_lag_widgets', 'widgets'].flatMap((name) =>
        Object.values(objectOf(hclValue(`\${local.${name}}`, scope), name)).map(written),
      );
      const byTitle = (a: unknown, b: unknown) =>
        String((a as Block).title).localeCompare(String((b as Block).title));
      expect(
        widgets.map((w) => w.title),
        `${count} instances: no widget twice`,
      ).toEqual([...new Set(widgets.map((w) => w.title))]);
      expect([...widgets].sort(byTitle), `${count} instances`).toEqual(defined.sort(byTitle));
    }
  });
});

import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as PromClient from 'prom-client';
import type { DatabaseClients } from '../db/clients.js';
import { AUTH_FAILURES, type AuthFailure } from '../http/basicAuth.js';
import { operation, type Route } from '../http/route.js';
import type { CheckResult } from '../replication/check.js';
import type { TopologyReport } from '../replication/reportSchema.js';
import { knownLags } from '../replication/sampler.js';
import * as answer from './answers.js';

// The registry and the three metric types, not prom-client's index: that also
// loads its push gateway (https, tls), summaries, cluster aggregation and
// default metrics, about 110 ms of a cold start (npm run bench:imports) against
// 12 ms for these. The default metrics are loaded once the server is up.
const load = createRequire(import.meta.url);
const client = {
  Registry: load('prom-client/lib/registry') as typeof PromClient.Registry,
  Counter: load('prom-client/lib/counter') as typeof PromClient.Counter,
  Gauge: load('prom-client/lib/gauge') as typeof PromClient.Gauge,
  Histogram: load('prom-client/lib/histogram') as typeof PromClient.Histogram,
};
type Gauge = PromClient.Gauge;
const DEFAULT_METRICS_AFTER_MS = 2000;
// Five times the event-loop monitor's resolution (10 ms).
const EVENT_LOOP_SAMPLE_MS = 50;

export interface Metrics {
  registry: PromClient.Registry;
  /** The exposition: the default metrics are registered by then, whenever the first scrape comes. */
  exposition(): Promise<string>;
  /** Labels as the router gives them: a route template or 'unmatched', an allowed method or 'other'. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** A request refused for its Basic credentials: the reason only, never what was sent. */
  observeAuthFailure(reason: AuthFailure): void;
  recordCheck(result: CheckResult): void;
  /** The primary's view of its standbys and slots, as a check or a health read found it. */
  recordTopology(report: TopologyReport): void;
}

const WAL_STATUSES = ['reserved', 'extended', 'unreserved', 'lost'];
const seconds = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? undefined : ms / 1000;

/**
 * Prometheus metrics (prom-client). Labels stay bounded: replica endpoints
 * and standby, slot and route names come from the configuration and the
 * cluster, never from a request (no raw paths, codes or LSNs).
 */
export function createMetrics(db: DatabaseClients): Metrics {
  const registry = new client.Registry();
  // Settles once the default metrics are registered and the event-loop lag
  // has a first sample (it is NaN until then): every scrape waits for it.
  let defaultsReady: Promise<void> | undefined;
  const registerDefaults = () => {
    if (defaultsReady) return defaultsReady;
    const collectDefaultMetrics = load(
      'prom-client/lib/defaultMetrics',
    ) as typeof PromClient.collectDefaultMetrics;
    collectDefaultMetrics({ register: registry });
    defaultsReady = sleep(EVENT_LOOP_SAMPLE_MS);
    return defaultsReady;
  };
  setTimeout(registerDefaults, DEFAULT_METRICS_AFTER_MS).unref();
  const registers = [registry];

  const gauge = (name: string, help: string, labelNames: string[]) =>
    new client.Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string, labelNames: string[]) =>
    new client.Counter({ name, help, labelNames, registers });

  const lag = new client.Histogram({
    name: 'pg_replica_commit_visible_lag_seconds',
    help: 'Time from the primary acknowledging a heartbeat commit to a replica showing it; a heartbeat not shown counts as the time waited',
    labelNames: ['replica'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const standbyLag = (kind: string) =>
    gauge(
      `pg_replica_standby_${kind}_lag_seconds`,
      `The ${kind} lag of each standby as the primary sees it (pg_stat_replication)`,
      ['application_name'],
    );
  const standbyGauges = {
    write: standbyLag('write'),
    flush: standbyLag('flush'),
    replay: standbyLag('replay'),
  };
  const replayBytes = gauge(
    'pg_replica_standby_replay_lag_bytes',
    'WAL each standby has not replayed yet, as the primary sees it',
    ['application_name'],
  );
  const slotRetained = gauge(
    'pg_replica_slot_retained_wal_bytes',
    'WAL each replication slot keeps from being recycled',
    ['slot'],
  );
  const slotStatus = gauge(
    'pg_replica_slot_wal_status',
    "1 for each slot's current wal_status (reserved, extended, unreserved, lost), 0 for the others",
    ['slot', 'wal_status'],
  );
  const runs = counter('pg_replica_check_runs_total', 'Replication check runs, by result', [
    'result',
  ]);
  const failures = counter(
    'pg_replica_check_failures_total',
    'Replication check runs that found each failure type',
    ['type'],
  );
  const requests = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const authFailures = counter(
    'http_auth_failures_total',
    'Requests refused for their Basic credentials: missing, malformed (not Basic user:password) or rejected (no accepted pair)',
    ['reason'],
  );
  for (const reason of AUTH_FAILURES) authFailures.inc({ reason }, 0);
  // An endpoint's two small pools (reads, windows) count as one host.
  type Load = { inUse: number; waiting: number };
  const hosts: [string, () => Load][] = [
    ['primary', db.primary.load],
    ['replica', db.replica.load],
    ...db.endpoints.map(({ endpoint, client, sampler }): [string, () => Load] => [
      endpoint,
      () => {
        const [reads, windows] = [client.load(), sampler.load()];
        return { inUse: reads.inUse + windows.inUse, waiting: reads.waiting + windows.waiting };
      },
    ]),
  ];
  const poolGauge = (name: string, help: string, figure: keyof Load) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['host'],
      registers,
      collect() {
        for (const [host, load] of hosts) this.set({ host }, load()[figure]);
      },
    });
  poolGauge(
    'pg_replica_pool_connections_in_use',
    'Queries running on each host, one connection each',
    'inUse',
  );
  poolGauge('pg_replica_pool_waiting', 'Queries waiting for a connection to each host', 'waiting');

  return {
    registry,
    async exposition() {
      await registerDefaults();
      return registry.metrics();
    },
    observeRequest(route, method, status, duration) {
      requests.observe({ route, method, status: String(status) }, duration);
    },
    observeAuthFailure(reason) {
      authFailures.inc({ reason });
    },
    recordCheck(result) {
      runs.inc({ result: result.ok ? 'ok' : 'failing' });
      for (const type of new Set(result.failures.map((failure) => failure.type)))
        failures.inc({ type });
      for (const [replica, byBeat] of result.lagsByBeat) {
        for (const ms of knownLags(byBeat)) lag.observe({ replica }, ms / 1000);
      }
    },
    recordTopology(report) {
      if (report.primary === null) return; // not read: keep what was known
      for (const gauge of [...Object.values(standbyGauges), replayBytes, slotRetained, slotStatus])
        gauge.reset();
      for (const standby of report.standbys) {
        const labels = { application_name: standby.application_name };
        const set = (gauge: Gauge, value: number | undefined) =>
          value === undefined ? undefined : gauge.set(labels, value);
        set(standbyGauges.write, seconds(standby.write_lag_ms));
        set(standbyGauges.flush, seconds(standby.flush_lag_ms));
        set(standbyGauges.replay, seconds(standby.replay_lag_ms));
        set(replayBytes, standby.replay_lag_bytes ?? undefined);
      }
      for (const slot of report.replication_slots) {
        if (slot.retained_wal_bytes !== null)
          slotRetained.set({ slot: slot.slot_name }, slot.retained_wal_bytes);
        for (const status of WAL_STATUSES) {
          slotStatus.set(
            { slot: slot.slot_name, wal_status: status },
            slot.wal_status === status ? 1 : 0,
          );
        }
      }
    },
  };
}

/** GET /metrics: the Prometheus text exposition. */
export function metricsRoutes(metrics: Metrics, auth: boolean): Route[] {
  return [
    {
      path: '/metrics',
      auth,
      operations: {
        GET: operation({
          summary:
            'Prometheus metrics: per-replica lag histogram, standbys, slots, checks, requests, pools',
          answers: {
            200: { description: 'Prometheus text exposition format 0.0.4' },
            401: answer.unauthorized,
          },
          async handle() {
            return {
              status: 200,
              content: {
                type: metrics.registry.contentType,
                data: await metrics.exposition(),
              },
            };
          },
        }),
      },
    },
  ];
}

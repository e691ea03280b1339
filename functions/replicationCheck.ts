import { invalidRequest } from '../http/problems.js';
import { integerParameter, parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { type CheckResult, runReplicationCheck, type Window } from '../replication/check.js';
import type { ServiceDependencies } from './dependencies.js';
import { replicationProblem } from './replicationProblem.js';

const MAX_WINDOW_MS = 15 * 60 * 1000;

/** `?samples=N&interval_ms=M`: N 1–600 (1), M 100–60000 (1000), N × M at most 15 minutes. */
function parseWindow(query: URLSearchParams): Window {
  const { samples = 1, interval_ms: intervalMs = 1000 } = parseQuery(query, {
    samples: integerParameter(1, 600),
    interval_ms: integerParameter(100, 60_000),
  });
  if (samples * intervalMs > MAX_WINDOW_MS) {
    const detail = `samples × interval_ms must be at most ${MAX_WINDOW_MS} (15 minutes)`;
    throw invalidRequest('the sampling window is too long', [
      { field: 'samples', detail },
      { field: 'interval_ms', detail },
    ]);
  }
  return { samples, intervalMs };
}

/**
 * One line per run, so that log-based metrics can chart it. A log-based
 * metric extracts one value per line: `replica_lag_ms` holds each replica's
 * figures under a fixed key (r1, r2, … in POSTGRES_REPLICA_ENDPOINTS order).
 */
function logFields(result: CheckResult, deps: ServiceDependencies, window: Window) {
  return {
    check: 'replication',
    prober: deps.replication.prober,
    samples: window.samples,
    interval_ms: window.intervalMs,
    lag_ms: result.report.lag_ms,
    threshold_ms: deps.replication.maxLagMs,
    failure_type: result.failures[0]?.type ?? null,
    failures: [...new Set(result.failures.map((failure) => failure.type))],
    events: result.events.map((event) => event.type),
    failover: result.events.some((event) => event.type === 'failover'),
    replicas: result.replicas.map((replica) => ({
      endpoint: replica.endpoint,
      ok: replica.ok,
      role: replica.role,
      application_name: replica.application_name,
      samples: replica.samples,
      seen: replica.seen,
      lag_ms: replica.lag_ms,
      replay_lsn: replica.replay_lsn,
      timeline: replica.timeline,
      failures: replica.failures.map((failure) => failure.type),
    })),
    replica_lag_ms: Object.fromEntries(
      result.replicas.map((replica, index) => [
        `r${index + 1}`,
        { endpoint: replica.endpoint, ...replica.lag_ms },
      ]),
    ),
  };
}

/**
 * POST /replication_check. Under `api` it takes Basic auth; deployed alone
 * (FUNCTION_TARGET=replicationCheck) Cloud Run IAM guards it and Cloud
 * Scheduler calls it with an OIDC token, so it takes none.
 */
export function replicationCheckRoutes(deps: ServiceDependencies, auth: boolean): Route[] {
  return [
    {
      pattern: /^\/replication_check$/,
      auth,
      methods: {
        POST: async ({ query }) => {
          const window = parseWindow(query);
          const result = await runReplicationCheck(
            deps.db,
            deps.replication,
            window,
            deps.stopping,
          );
          deps.log(
            result.ok ? 'INFO' : 'ERROR',
            result.ok ? 'replication check ok' : 'replication check failed',
            logFields(result, deps, window),
          );
          if (!result.ok)
            throw replicationProblem('Replication check failed', result.failures, result.report);
          return { status: 200, body: result.report };
        },
      },
    },
  ];
}

import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { CALLER_WINDOWS, MAX_WINDOWS } from '../db/clients.js';
import { DatabaseUnavailableError } from '../db/errors.js';
import { replicationFailed, windowsBusy, windowsBusySchema } from '../http/problems.js';
import { operation, type Route } from '../http/route.js';
import { traceFields } from '../log/trace.js';
import {
  type CheckResult,
  runReplicationCheck,
  SHUTTING_DOWN,
  type Window,
} from '../replication/check.js';
import { storeWindow, windowRecord } from '../replication/history.js';
import { checkProblem, checkReport, FAILURE_TYPES } from '../replication/reportSchema.js';
import { acquireWindow, type WindowKind, windowLimit } from '../replication/windowRegistry.js';
import * as answer from './answers.js';
import type { ServiceDependencies } from './dependencies.js';
import { fieldPath, integerParameter } from './schemas.js';

const MAX_WINDOW_MS = 15 * 60 * 1000;

/** `?samples=N&interval_ms=M`: N 1–600 (1), M 100–60000 (1000), N × M at most 15 minutes. */
const windowQuery = v.pipe(
  v.strictObject({
    samples: integerParameter(1, 600, 'Heartbeats in the window (default 1)'),
    interval_ms: integerParameter(100, 60_000, 'Time between heartbeats (default 1000)'),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { samples = 1, interval_ms: intervalMs = 1000 } = dataset.value;
    if (samples * intervalMs <= MAX_WINDOW_MS) return;
    const message = `samples × interval_ms must be at most ${MAX_WINDOW_MS} (15 minutes)`;
    for (const key of ['samples', 'interval_ms'] as const) {
      addIssue({ message, path: [fieldPath(dataset.value, key)] });
    }
  }),
);

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
    // The window ended early: its figures are of the heartbeats written until then.
    interrupted: result.report.interrupted ?? null,
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
      polls: replica.polls,
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
 * One line per heartbeat of the scheduled prober's window, for the freshness
 * SLO (terraform/modules/monitoring/slo.tf): a log-based counter counts lines,
 * so each heartbeat is a line naming the positions that should show it (every
 * one but the primary's, unreachable ones included) and, per position, its
 * commit → visible time, null when it was not shown within the threshold
 * (an unreachable replica's too). A window that ended early writes none.
 */
function heartbeatLogFields(result: CheckResult, maxLagMs: number) {
  // A window cut short (shutdown) leaves heartbeats unmeasured, not late: none is counted.
  if (result.report.interrupted) return [];
  const positions = result.replicas
    .map((replica, index) => ({ replica, position: `r${index + 1}` }))
    .filter(({ replica }) => replica.role !== 'primary');
  return result.beatsAt.map((_, beat) => ({
    check: 'replication-heartbeat',
    heartbeat: beat + 1,
    standbys: positions.map(({ position }) => position),
    visible_ms: Object.fromEntries(
      positions.map(({ replica, position }) => {
        const lag = result.lagsByBeat.get(replica.endpoint)?.[beat] ?? null;
        return [position, lag !== null && lag < maxLagMs ? Number(lag.toFixed(3)) : null];
      }),
    ),
  }));
}

/** The abort reasons a window reports as `interrupted`. */
export const CALLER_LEFT = 'the caller closed the connection';

/**
 * The window's signal: aborted when the server starts draining, or when the
 * caller's connection closes (nobody would read the answer; a client that
 * asked for 15 minutes and left must not hold a slot that long). Both
 * listeners are removed by `dispose`, so none outlives its window.
 */
function windowSignal(stopping: AbortSignal, req: IncomingMessage) {
  const controller = new AbortController();
  const onStop = () => controller.abort(SHUTTING_DOWN);
  const onClose = () => controller.abort(CALLER_LEFT);
  // The socket, not the request: a request whose body has been read emits
  // 'close' at once; its connection closes when the caller leaves (Cloud Run
  // closes it when its own client goes away).
  const socket = req.socket;
  if (stopping.aborted) onStop();
  else stopping.addEventListener('abort', onStop, { once: true });
  if (socket.destroyed) onClose();
  else socket.once('close', onClose);
  return {
    signal: controller.signal,
    dispose() {
      stopping.removeEventListener('abort', onStop);
      socket.off('close', onClose);
    },
  };
}

/**
 * POST /replication_check. Under `api` it takes Basic auth; deployed alone
 * (FUNCTION_TARGET=replicationCheck) Cloud Run IAM guards it and Cloud
 * Scheduler calls it with an OIDC token, so it takes none.
 */
export function replicationCheckRoutes(deps: ServiceDependencies, auth: boolean): Route[] {
  // Unguarded by Basic auth means the standalone target, which Cloud Run IAM
  // opens to the scheduler's account only: its windows are the scheduled
  // prober's. Under `api`, every window is a caller's.
  const kind: WindowKind = auth ? 'caller' : 'scheduled';
  // Each running window polls each replica on a connection of its own; more
  // would queue for one, and queueing would read as lag.
  const busy = () =>
    windowsBusy(
      `${windowLimit(kind)} sampling windows of ${kind === 'caller' ? 'callers' : 'this service'} are already running in this instance; retry when one ends`,
    );

  // The window goes to the history the live page reads; while the primary is
  // down it cannot, and the log line (which carries every figure) says so.
  async function store(result: CheckResult, window: Window) {
    if (result.beatsAt.length === 0) return { history_stored: false };
    try {
      const record = windowRecord(result, deps.replication, window.intervalMs, kind);
      await storeWindow(deps.db.primary, record, deps.replication.historyHours);
      return { history_stored: true };
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      return { history_stored: false, history_error: error.message };
    }
  }

  return [
    {
      path: '/replication_check',
      auth,
      operations: {
        POST: operation({
          summary:
            'Write a heartbeat on the primary every interval and time its arrival on every replica',
          description:
            'Basic auth under the api target; none when deployed alone (Cloud Run IAM, Cloud Scheduler OIDC). ' +
            'Every replica of POSTGRES_REPLICA_ENDPOINTS is polled on its own. A 503 is named after the most ' +
            `fundamental failure (${FAILURE_TYPES.join(', ')}); \`failures\` lists all, those about one ` +
            'replica with its `endpoint`. The window ends early when the caller closes the ' +
            'connection: what it measured until then is logged and stored, marked `interrupted`. ' +
            `Callers of the api target run at most ${CALLER_WINDOWS} windows at once per instance; ` +
            `the scheduled prober (the replicationCheck target) may use all ${MAX_WINDOWS}.`,
          query: windowQuery,
          answers: {
            200: {
              description:
                "Each replica's figures, the worst replica's last lag, events, the hosts",
              schema: checkReport,
            },
            400: answer.badRequest,
            401: answer.unauthorized,
            503: {
              description: `The named replication failure, with the figures read so far; or windows-busy: ${CALLER_WINDOWS} callers' windows (${MAX_WINDOWS} in all) already run in this instance`,
              problem: true,
              schema: v.union([checkProblem, windowsBusySchema]),
            },
          },
          async handle({ query, req }) {
            const window = { samples: query.samples ?? 1, intervalMs: query.interval_ms ?? 1000 };
            const lease = acquireWindow(deps.db, kind, deps.replication.prober, window);
            if (!lease) throw busy();
            const { signal, dispose } = windowSignal(deps.stopping, req);
            const result = await runReplicationCheck(
              deps.db,
              deps.replication,
              window,
              signal,
              lease.observer,
            ).finally(() => {
              dispose();
              lease.release();
            });
            deps.metrics.recordCheck(result);
            deps.metrics.recordTopology(result.report);
            const history = await store(result, window);
            deps.log(
              result.ok ? 'INFO' : 'ERROR',
              result.ok ? 'replication check ok' : 'replication check failed',
              { ...logFields(result, deps, window), ...history, ...traceFields(req.headers) },
            );
            if (kind === 'scheduled') {
              for (const fields of heartbeatLogFields(result, deps.replication.maxLagMs))
                deps.log('INFO', 'replication heartbeat', fields);
            }
            Object.assign(result.report, history);
            if (!result.ok)
              throw replicationFailed('Replication check failed', result.failures, result.report);
            return { status: 200, body: result.report };
          },
        }),
      },
    },
  ];
}

import * as v from 'valibot';
import { MAX_WINDOWS } from '../db/clients.js';
import { operation, type Route } from '../http/route.js';
import {
  CALLER_HISTORY_BYTES,
  CALLER_WINDOWS_KEPT,
  CALLER_WINDOWS_READ,
  readHistory,
} from '../replication/history.js';
import { historyAnswer } from '../replication/reportSchema.js';
import { runningWindows } from '../replication/windowRegistry.js';
import * as answer from './answers.js';
import type { ServiceDependencies } from './dependencies.js';
import { integerParameter } from './schemas.js';

/**
 * The most an answer holds, in bytes of JSON: older windows are left out
 * (`truncated`) past it. A day of the scheduled prober's 60 × 1 s windows on
 * two replicas is about 4 MB; an hour of 600-beat windows about 2 MB.
 */
const MAX_HISTORY_BYTES = 4 * 1024 * 1024;

/** GET /replication/history: the sampled windows the live page charts, from the primary. */
export function historyRoutes(deps: ServiceDependencies): Route[] {
  // A day at most per request, however long the history is kept.
  const maxMinutes = Math.min(deps.replication.historyHours * 60, 24 * 60);
  const head = () => ({
    threshold_ms: deps.replication.maxLagMs,
    endpoints: deps.db.endpoints.map((endpoint) => endpoint.endpoint),
    max_bytes: MAX_HISTORY_BYTES,
    // Still running in this instance: a point as each heartbeat is measured.
    // A copy: the windows go on growing while the primary is read.
    running: structuredClone(runningWindows(deps.db)),
  });
  return [
    {
      path: '/replication/history',
      auth: true,
      operations: {
        GET: operation({
          summary: 'Sampled windows of the replication check: every replica’s lag, beat by beat',
          description:
            'The windows that ended in the period, oldest first: every window of the scheduled ' +
            'prober (the replicationCheck target), and the newest ' +
            `${CALLER_WINDOWS_READ} of callers' windows (POST /replication_check on the api target; ` +
            `at most ${CALLER_HISTORY_BYTES} bytes of them, and only the newest ${CALLER_WINDOWS_KEPT} ` +
            'are kept), each marked `scheduled` or not. `running` holds the windows still running ' +
            `in the instance that answers (at most ${MAX_WINDOWS}), each replica's lags so far, ` +
            'null where not yet measured. The whole answer is at most ' +
            `${MAX_HISTORY_BYTES} bytes of JSON (\`max_bytes\`): past that the oldest windows are ` +
            'left out and `truncated` is true. With `running=only`, only the running windows, ' +
            'without reading the primary.',
          query: v.strictObject({
            minutes: integerParameter(1, maxMinutes, 'How far back (default 60)'),
            running: v.optional(
              v.pipe(
                v.picklist(['only'], 'must be only'),
                v.description("Only this instance's running windows (no database read)"),
              ),
            ),
          }),
          answers: {
            200: {
              description:
                'Windows that ended in the period, oldest first, and those running in this instance',
              schema: historyAnswer,
            },
            400: answer.badRequest,
            401: answer.unauthorized,
            503: {
              description: 'The primary is unreachable: recent windows are only in the logs',
              problem: true,
            },
          },
          async handle({ query }) {
            if (query.running === 'only') return { status: 200, body: head() };
            const running = head();
            // What the windows may take: the cap less everything else ("false" is the longer).
            const budget =
              MAX_HISTORY_BYTES -
              Buffer.byteLength(JSON.stringify({ ...running, truncated: false, windows: [] }));
            const { windows, truncated } = await readHistory(
              deps.db.primary,
              query.minutes ?? 60,
              budget,
            );
            return { status: 200, body: { ...running, truncated, windows } };
          },
        }),
      },
    },
  ];
}

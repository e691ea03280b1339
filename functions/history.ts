import * as v from 'valibot';
import { operation, type Route } from '../http/route.js';
import { readHistory } from '../replication/history.js';
import * as answer from './answers.js';
import type { ServiceDependencies } from './dependencies.js';
import { integerParameter } from './schemas.js';

/** GET /replication/history: the sampled windows the live page charts, from the primary. */
export function historyRoutes(deps: ServiceDependencies): Route[] {
  // A day at most per request, however long the history is kept.
  const maxMinutes = Math.min(deps.replication.historyHours * 60, 24 * 60);
  return [
    {
      path: '/replication/history',
      auth: true,
      operations: {
        GET: operation({
          summary: 'Sampled windows of the replication check: every replica’s lag, beat by beat',
          query: v.strictObject({
            minutes: integerParameter(1, maxMinutes, 'How far back (default 60)'),
          }),
          answers: {
            200: { description: 'Windows that ended in the period, oldest first' },
            400: answer.badRequest,
            401: answer.unauthorized,
            503: {
              description: 'The primary is unreachable: recent windows are only in the logs',
              problem: true,
            },
          },
          async handle({ query }) {
            const windows = await readHistory(deps.db.primary, query.minutes ?? 60);
            return {
              status: 200,
              body: {
                threshold_ms: deps.replication.maxLagMs,
                endpoints: deps.db.endpoints.map((endpoint) => endpoint.endpoint),
                windows,
              },
            };
          },
        }),
      },
    },
  ];
}

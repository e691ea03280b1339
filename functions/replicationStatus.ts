import * as v from 'valibot';
import { replicationFailed } from '../http/problems.js';
import { operation, type Route } from '../http/route.js';
import { replicationHealth } from '../replication/health.js';
import { healthProblem, healthReport } from '../replication/reportSchema.js';
import * as answer from './answers.js';
import type { ServiceDependencies } from './dependencies.js';
import { integerParameter } from './schemas.js';

const thresholds = v.strictObject({
  max_lag_ms: integerParameter(0, 3_600_000, 'Lag in time allowed (default REPLICA_MAX_LAG_MS)'),
  max_lag_bytes: integerParameter(0, 999_999_999, 'Lag in bytes allowed (unchecked by default)'),
});

/** GET /status/replication: 200 healthy, 503 naming each unhealthy endpoint; thresholds per request. */
export function replicationStatusRoutes(deps: ServiceDependencies): Route[] {
  return [
    {
      path: '/status/replication',
      auth: true,
      operations: {
        GET: operation({
          summary:
            'Roles and lag of the primary and every replica endpoint, without writing (Patroni-style)',
          query: thresholds,
          answers: {
            200: { description: 'Healthy', schema: healthReport },
            400: answer.badRequest,
            401: answer.unauthorized,
            503: {
              description: 'Unhealthy; `failures` names each unhealthy endpoint',
              problem: true,
              schema: healthProblem,
            },
          },
          async handle({ query }) {
            const health = await replicationHealth(deps.db, {
              maxLagMs: query.max_lag_ms ?? deps.replication.maxLagMs,
              maxLagBytes: query.max_lag_bytes,
              expectedStandbys: deps.replication.expectedStandbys,
              ignoredStandbys: deps.replication.ignoredStandbys,
              maxSlotRetainedBytes: deps.replication.maxSlotRetainedBytes,
            });
            deps.metrics.recordTopology(health.report);
            if (!health.ok)
              throw replicationFailed('Replication unhealthy', health.failures, health.report);
            return { status: 200, body: health.report };
          },
        }),
      },
    },
  ];
}

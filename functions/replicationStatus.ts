import { integerParameter, parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { byImportance } from '../replication/failures.js';
import { replicationHealth } from '../replication/health.js';
import { replicationProblem } from '../replication/problem.js';
import type { ServiceDependencies } from './dependencies.js';

/** GET /status/replication: 200 healthy, 503 with reasons; thresholds overridable per request. */
export function replicationStatusRoutes(deps: ServiceDependencies): Route[] {
  return [
    {
      pattern: /^\/status\/replication$/,
      auth: true,
      methods: {
        GET: async ({ query }) => {
          const { max_lag_ms: maxLagMs, max_lag_bytes: maxLagBytes } = parseQuery(query, {
            max_lag_ms: integerParameter(0, 3_600_000),
            max_lag_bytes: integerParameter(0, 999_999_999),
          });
          const health = await replicationHealth(deps.db, deps.replication.expectedStandbys, {
            maxLagMs: maxLagMs ?? deps.replication.maxLagMs,
            maxLagBytes,
          });
          if (!health.ok) {
            throw replicationProblem(
              'Replication unhealthy',
              health.failures.sort(byImportance),
              health.report,
            );
          }
          return { status: 200, body: health.report };
        },
      },
    },
  ];
}

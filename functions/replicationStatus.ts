import { integerParameter, parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { replicationHealth } from '../replication/health.js';
import type { ServiceDependencies } from './dependencies.js';
import { replicationProblem } from './replicationProblem.js';

/** GET /status/replication: 200 healthy, 503 naming each unhealthy endpoint; thresholds per request. */
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
          const health = await replicationHealth(deps.db, {
            maxLagMs: maxLagMs ?? deps.replication.maxLagMs,
            maxLagBytes,
            maxSlotRetainedBytes: deps.replication.maxSlotRetainedBytes,
          });
          if (!health.ok)
            throw replicationProblem('Replication unhealthy', health.failures, health.report);
          return { status: 200, body: health.report };
        },
      },
    },
  ];
}

import { noQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { runReplicationCheck } from '../replication/check.js';
import { replicationProblem } from '../replication/problem.js';
import type { ServiceDependencies } from './dependencies.js';

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
          noQuery(query);
          const result = await runReplicationCheck(deps.db, deps.replication);
          // One line per run, so a log-based metric can chart lag_ms.
          deps.log(
            result.ok ? 'INFO' : 'ERROR',
            result.ok ? 'replication check ok' : 'replication check failed',
            {
              check: 'replication',
              prober: deps.replication.prober,
              lag_ms: result.report.lag_ms,
              lag_bytes: result.report.lag_bytes,
              threshold_ms: deps.replication.maxLagMs,
              failures: result.failures.map((failure) => failure.type),
              standbys_streaming: (result.report.standbys as { state: string }[]).filter(
                (s) => s.state === 'streaming',
              ).length,
            },
          );
          if (!result.ok)
            throw replicationProblem('Replication check failed', result.failures, result.report);
          return { status: 200, body: result.report };
        },
      },
    },
  ];
}

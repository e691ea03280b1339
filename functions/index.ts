import * as functions from '@google-cloud/functions-framework';
import type { FunctionTarget } from '../config/options.js';
import { CONSTRAINT_FIELDS } from '../db/schema.js';
import type { Route } from '../http/route.js';
import { createRouter } from '../http/router.js';
import { apiRoutes } from './api.js';
import { countryRoutes } from './country.js';
import { countryReplicaRoutes } from './countryReplica.js';
import type { ServiceDependencies } from './dependencies.js';
import { metricsRoutes } from './metrics.js';
import { replicationCheckRoutes } from './replicationCheck.js';
import { statusRoutes } from './status.js';

// Every target also serves GET /status: Cloud Run's startup probe asks it of
// each service, standalone ones included.
const TARGETS: Record<FunctionTarget, (deps: ServiceDependencies) => Route[]> = {
  api: apiRoutes,
  status: () => statusRoutes,
  country: (deps) => [...statusRoutes, ...countryRoutes(deps.db.primary)],
  countryReplica: (deps) => [...statusRoutes, ...countryReplicaRoutes(deps.db.replica)],
  // Cloud Run IAM guards the check service: its metrics take no Basic auth either.
  replicationCheck: (deps) => [
    ...statusRoutes,
    ...replicationCheckRoutes(deps, false),
    ...metricsRoutes(deps.metrics, false),
  ],
};

/** Registers every function with the Functions Framework; FUNCTION_TARGET picks the one served. */
export function registerFunctions(deps: ServiceDependencies): void {
  for (const [target, routes] of Object.entries(TARGETS)) {
    functions.http(
      target,
      createRouter(routes(deps), {
        ...deps,
        observe: deps.metrics.observeRequest,
        constraints: { subject: 'country', fields: CONSTRAINT_FIELDS },
      }),
    );
  }
}

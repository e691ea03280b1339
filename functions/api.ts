import type { Route } from '../http/route.js';
import { countryRoutes } from './country.js';
import { countryReplicaRoutes } from './countryReplica.js';
import type { ServiceDependencies } from './dependencies.js';
import { historyRoutes } from './history.js';
import { metricsRoutes } from './metrics.js';
import { openapiRoutes } from './openapi.js';
import { pageRoutes } from './page.js';
import { replicationCheckRoutes } from './replicationCheck.js';
import { replicationStatusRoutes } from './replicationStatus.js';
import { statusRoutes } from './status.js';

/** Every public path on one URL, as the old app served them, and their OpenAPI document. */
export function apiRoutes(deps: ServiceDependencies): Route[] {
  const routes: Route[] = [
    ...statusRoutes,
    ...openapiRoutes(() => routes),
    ...countryRoutes(deps.db.primary),
    ...countryReplicaRoutes(deps.db.replica),
    ...replicationCheckRoutes(deps, true),
    ...replicationStatusRoutes(deps),
    ...metricsRoutes(deps.metrics, true),
    ...historyRoutes(deps),
    ...pageRoutes(),
  ];
  return routes;
}

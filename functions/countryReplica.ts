import type { CountryHost } from '../db/clients.js';
import type { Route } from '../http/router.js';
import { replicaReads } from './countryReads.js';

/** /country_replica and /country_replica/{two_letter}: reads on the replica. */
export function countryReplicaRoutes(replica: CountryHost): Route[] {
  const reads = replicaReads(replica);
  return [
    { pattern: /^\/country_replica$/, auth: true, methods: { GET: reads.list } },
    { pattern: /^\/country_replica\/([^/]+)$/, auth: true, methods: { GET: reads.one } },
  ];
}

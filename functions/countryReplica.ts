import type { CountryHost } from '../db/clients.js';
import type { Route } from '../http/router.js';
import { countryReads } from './countryReads.js';

/** /country_replica and /country_replica/{two_letter}: the same reads, on the replica. */
export function countryReplicaRoutes(replica: CountryHost): Route[] {
  const reads = countryReads(replica);
  return [
    { pattern: /^\/country_replica$/, auth: true, methods: { GET: reads.list } },
    { pattern: /^\/country_replica\/([^/]+)$/, auth: true, methods: { GET: reads.one } },
  ];
}

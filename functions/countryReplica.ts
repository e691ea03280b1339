import * as v from 'valibot';
import type { ReplicaHost, ReplicaQueries } from '../db/clients.js';
import { notFound, replicaBehind } from '../http/problems.js';
import { operation, type Reply, type Route } from '../http/route.js';
import { readAtLeast } from '../replication/readYourWrites.js';
import * as answer from './answers.js';
import { codeParams, countryOutput, replicaOneQuery, replicaPageQuery } from './schemas.js';

type RowAt = { name: string; two_letter: string; country_id: number; replay_lsn: string | null };

const DEFAULT_WAIT_MS = 2000;
const replicaLsn = { 'X-Replica-LSN': 'The replay position the answer reflects' };
const behind = { description: 'Unavailable, or behind min_lsn after wait_ms', problem: true };

/**
 * A read on the replica: at once without `min_lsn`; with it, once the replica
 * has replayed it (up to `wait_ms`), on the connection that saw it replayed.
 */
async function readReplica(
  replica: ReplicaHost,
  query: { min_lsn?: string | undefined; wait_ms?: number | undefined },
  read: (queries: ReplicaQueries) => Promise<RowAt[]>,
): Promise<{ rows: RowAt[]; lsn: string | null }> {
  if (query.min_lsn === undefined) {
    const rows = await replica.query((pool) => read(pool.queries), { idempotent: true });
    return { rows, lsn: rows[0]?.replay_lsn ?? null };
  }
  const waitMs = query.wait_ms ?? DEFAULT_WAIT_MS;
  const consistent = await readAtLeast(replica, query.min_lsn, waitMs, read);
  if (!consistent.reached) {
    throw replicaBehind(query.min_lsn, waitMs, consistent.replicaLsn);
  }
  return { rows: consistent.result, lsn: consistent.replicaLsn };
}

/** The rows without their replay position, which goes in X-Replica-LSN. */
function reply(body: unknown, lsn: string | null): Reply {
  return { status: 200, body, ...(lsn ? { headers: { 'X-Replica-LSN': lsn } } : {}) };
}
const withoutLsn = ({ replay_lsn: _, ...row }: RowAt) => row;

/** /country_replica and /country_replica/{two_letter}: reads on the replica. */
export function countryReplicaRoutes(replica: ReplicaHost): Route[] {
  return [
    {
      path: '/country_replica',
      auth: true,
      operations: {
        GET: operation({
          summary: 'List countries from the replica, ordered by two_letter',
          query: replicaPageQuery,
          answers: {
            200: {
              description: 'Countries ordered by two_letter',
              schema: v.array(countryOutput),
              headers: replicaLsn,
            },
            400: answer.badRequest,
            401: answer.unauthorized,
            503: behind,
          },
          async handle({ query }) {
            const { limit = 1000, offset = 0 } = query;
            const { rows, lsn } = await readReplica(replica, query, (queries) =>
              queries.replicaList.execute({ limit, offset }),
            );
            return reply(rows.map(withoutLsn), lsn);
          },
        }),
      },
    },
    {
      path: '/country_replica/{two_letter}',
      auth: true,
      operations: {
        GET: operation({
          summary: 'Read one country from the replica',
          params: codeParams,
          query: replicaOneQuery,
          answers: {
            200: { description: 'The country', schema: countryOutput, headers: replicaLsn },
            400: answer.badRequest,
            401: answer.unauthorized,
            404: answer.notFound,
            503: behind,
          },
          async handle({ params: { two_letter: code }, query }) {
            const { rows, lsn } = await readReplica(replica, query, (queries) =>
              queries.replicaByCode.execute({ code }),
            );
            const [row] = rows;
            if (!row) throw notFound(`no country with two_letter ${code} on the replica`);
            return reply(withoutLsn(row), lsn);
          },
        }),
      },
    },
  ];
}

import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { CountryHost } from '../db/clients.js';
import {
  byCodeQuery,
  type CountryQueries,
  type CountryRow,
  listQuery,
} from '../db/countryQueries.js';
import { isLsn } from '../db/lsn.js';
import { parseCodeParameter } from '../http/countryInput.js';
import { invalidRequest, notFound } from '../http/problems.js';
import { integerParameter, noQuery, parseQuery, QueryValueError } from '../http/query.js';
import type { Action, Reply } from '../http/router.js';
import { readAtLeast } from '../replication/readYourWrites.js';

// country_id is unique within 1–999, so 1000 rows is always the whole table.
const page = { limit: integerParameter(1, 1000), offset: integerParameter(0, 999) };

const lsnParameter = (raw: string) => {
  if (!isLsn(raw)) throw new QueryValueError('must be a WAL position such as 0/3000148');
  return raw.toUpperCase();
};
const consistency = { min_lsn: lsnParameter, wait_ms: integerParameter(0, 10_000) };

type RowWithLsn = CountryRow & { replay_lsn: string | null };

const withoutLsn = (rows: RowWithLsn[]): CountryRow[] =>
  rows.map(({ replay_lsn: _, ...row }) => row);

/** GET of the list and of one country on the primary: plain reads. */
export function primaryReads(primary: CountryHost): { list: Action; one: Action } {
  return {
    list: async ({ query }) => {
      const { limit = 1000, offset = 0 } = parseQuery(query, page);
      const rows = await primary.query((pool) => pool.queries.list.execute({ limit, offset }), {
        idempotent: true,
      });
      return { status: 200, body: withoutLsn(rows) };
    },
    one: async ({ params, query }) => {
      const code = parseCodeParameter(params[0] ?? '');
      noQuery(query);
      const [row] = await primary.query((pool) => pool.queries.byCode.execute({ code }), {
        idempotent: true,
      });
      if (!row) throw notFound(`no country with two_letter ${code} on the primary`);
      return { status: 200, body: withoutLsn([row])[0] };
    },
  };
}

interface Fetch {
  /** On the pool, with the prepared queries: plain reads. */
  prepared(queries: CountryQueries): Promise<RowWithLsn[]>;
  /** On the connection that saw min_lsn replayed. */
  onConnection(db: PostgresJsDatabase): Promise<RowWithLsn[]>;
}

async function readReplica(
  replica: CountryHost,
  consistencyQuery: { min_lsn?: string | undefined; wait_ms?: number | undefined },
  fetch: Fetch,
): Promise<{ rows: CountryRow[]; lsn: string | null }> {
  const { min_lsn: minLsn, wait_ms: waitMs } = consistencyQuery;
  if (minLsn === undefined) {
    if (waitMs !== undefined) {
      throw invalidRequest('wait_ms needs min_lsn', [
        { field: 'wait_ms', detail: 'is only meaningful with min_lsn' },
      ]);
    }
    const rows = await replica.query((pool) => fetch.prepared(pool.queries), { idempotent: true });
    return { rows: withoutLsn(rows), lsn: rows[0]?.replay_lsn ?? null };
  }
  const read = await readAtLeast(replica, minLsn, waitMs ?? 2000, fetch.onConnection);
  return { rows: withoutLsn(read.result), lsn: read.replicaLsn };
}

const withReplicaLsn = (reply: Reply, lsn: string | null): Reply =>
  lsn ? { ...reply, headers: { ...reply.headers, 'X-Replica-LSN': lsn } } : reply;

/**
 * GET on the replica. With `min_lsn` (the X-Primary-LSN of a write), waits up
 * to `wait_ms` (default 2000) for the replica to replay it, then reads; never
 * waits without it. X-Replica-LSN says how new the answer is.
 */
export function replicaReads(replica: CountryHost): { list: Action; one: Action } {
  return {
    list: async ({ query }) => {
      const { limit = 1000, offset = 0, ...rest } = parseQuery(query, { ...page, ...consistency });
      const { rows, lsn } = await readReplica(replica, rest, {
        prepared: (queries) => queries.list.execute({ limit, offset }),
        onConnection: (db) => listQuery(db).execute({ limit, offset }),
      });
      return withReplicaLsn({ status: 200, body: rows }, lsn);
    },
    one: async ({ params, query }) => {
      const code = parseCodeParameter(params[0] ?? '');
      const { rows, lsn } = await readReplica(replica, parseQuery(query, consistency), {
        prepared: (queries) => queries.byCode.execute({ code }),
        onConnection: (db) => byCodeQuery(db).execute({ code }),
      });
      if (!rows[0]) throw notFound(`no country with two_letter ${code} on the replica`);
      return withReplicaLsn({ status: 200, body: rows[0] }, lsn);
    },
  };
}

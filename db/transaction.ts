import type { PgPreparedQuery, PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { TransactionSql } from 'postgres';
import type { Pool } from './pool.js';

type Statements = Record<string, PgPreparedQuery<PreparedQueryConfig>>;

/**
 * The pool's statements on one transaction's connection, their SQL not
 * rebuilt. drizzle-orm 0.45's PostgresJsPreparedQuery runs on its `client`
 * (private, the pool it was built on): a copy whose `client` is the
 * transaction runs there, and postgres.js gives transactions the pool's own
 * `unsafe()`.
 */
function onTransaction<S extends Statements>(statements: S, transaction: TransactionSql): S {
  const bound: Record<string, unknown> = {};
  for (const [name, statement] of Object.entries(statements)) {
    if (!('client' in statement)) {
      throw new Error(
        `drizzle-orm's prepared query ${name} keeps no client: see db/transaction.ts`,
      );
    }
    bound[name] = Object.create(statement, { client: { value: transaction } });
  }
  return bound as S;
}

/**
 * Runs `work` in one read-only transaction of the pool, given the pool's
 * statements bound to its connection: they share one connection (an
 * endpoint may balance over several replicas), so each one's snapshot is
 * at least as new as the one before it. Transactions are used instead of `sql.reserve()`, which in
 * postgres.js 3.4.9 hangs on a cold pool with fetch_types off
 * (porsager/postgres #751) and strands connections whose backend was
 * terminated (#1195, #1199). Settles as postgres.js's transaction does: it
 * rejects as soon as the connection closes, even while `work` runs.
 */
export function readOnly<S extends Statements, T>(
  pool: Pool<S>,
  work: (statements: S) => Promise<T>,
): Promise<T> {
  return pool.sql.begin('read only', (transaction) =>
    work(onTransaction(pool.queries, transaction)),
  ) as Promise<T>;
}

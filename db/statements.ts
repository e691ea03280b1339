import type { SQL } from 'drizzle-orm';
import { PgDialect, type PgPreparedQuery, type PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { TransactionSql } from 'postgres';
import type { Pool } from './pool.js';

// Every statement of db/ is a Drizzle prepared query, built once per pool
// when the pool opens (clients.ts says which pool runs which), then run with
// `.execute(values)`: on the pool, or on one transaction of it through
// readOnly() below, the same objects and the same call. Its SQL text is built
// once; postgres.js prepares it (a named statement, cached by its text) on
// each connection the first time it runs there. A Drizzle query built per
// request costs about half the throughput of a prepared one (DESIGN.md).

/** A statement whose rows are `Row`s. */
export type Statement<Row> = PgPreparedQuery<{ execute: Row[]; all: unknown; values: unknown }>;

type Statements = Record<string, PgPreparedQuery<PreparedQueryConfig>>;

const dialect = new PgDialect();

/**
 * SQL Drizzle's builders do not express (catalog views, window functions,
 * data-modifying CTEs) as the same kind of prepared query: `sql.placeholder`
 * marks the values given to execute(). Its rows are postgres.js's, not
 * mapped by Drizzle: alias each column as `Row` names it.
 */
export function rawStatement<Row>(
  db: PostgresJsDatabase,
  name: string,
  query: SQL,
): Statement<Row> {
  return db._.session.prepareQuery<{ execute: Row[]; all: unknown; values: unknown }>(
    dialect.sqlToQuery(query),
    undefined,
    name,
    false,
  );
}

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
      throw new Error(`drizzle-orm's prepared query ${name} keeps no client: see db/statements.ts`);
    }
    bound[name] = Object.create(statement, { client: { value: transaction } });
  }
  return bound as S;
}

/**
 * Runs `work` in one read-only transaction of the pool, given the pool's
 * statements bound to its connection: they share one connection (an
 * endpoint may balance over several replicas) and each sees what the one
 * before it saw. Transactions are used instead of `sql.reserve()`, which in
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

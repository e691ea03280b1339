import type { SQL } from 'drizzle-orm';
import { PgDialect, type PgPreparedQuery } from 'drizzle-orm/pg-core';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';

// Every statement of db/ is a Drizzle prepared query, built once per pool
// when the pool opens (clients.ts says which pool runs which), then run with
// `.execute(values)`: on the pool, or on one transaction of it through
// readOnly() (transaction.ts), the same objects and the same call. Its SQL
// text is built once; postgres.js prepares it (a named statement, cached by
// its text) on each connection the first time it runs there. A Drizzle query
// built per request costs about half the throughput of a prepared one
// (DESIGN.md).

/** A statement whose rows are `Row`s. */
export type Statement<Row> = PgPreparedQuery<{ execute: Row[]; all: unknown; values: unknown }>;

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

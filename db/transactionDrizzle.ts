import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql, TransactionSql } from 'postgres';

/**
 * Drizzle on one transaction of a pool, so that several statements share a
 * connection. Transactions are used instead of `sql.reserve()`, which in
 * postgres.js 3.4.9 hangs on a cold pool with fetch_types off (porsager/postgres
 * #751) and strands connections whose backend was terminated (#1195, #1199).
 * Drizzle reads (and tunes) `client.options`, which postgres.js gives the pool
 * but not its transactions; they share the pool's, so lend it.
 */
export function drizzleOnTransaction(pool: Sql, transaction: TransactionSql): PostgresJsDatabase {
  Object.assign(transaction, { options: pool.options });
  return drizzle({ client: transaction as unknown as Sql });
}

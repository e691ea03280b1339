import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { ReservedSql, Sql } from 'postgres';

/**
 * Drizzle on one reserved connection of a pool. Drizzle reads (and tunes)
 * `client.options`, which postgres.js gives the pool but not its reserved
 * connections; they share the pool's, so lend it.
 */
export function drizzleOnReserved(pool: Sql, connection: ReservedSql): PostgresJsDatabase {
  Object.assign(connection, { options: pool.options });
  return drizzle({ client: connection });
}

import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { DatabaseConfig } from '../config/config.js';
import { sslOption } from './pool.js';

// Beside db/ in the source tree and beside dist/db/ in the built image; the
// migration job's bundle in dist/server/ (dev/bundle.ts) is one level down too.
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

// Any constant works; it only has to be the same for every run of this service.
const MIGRATION_LOCK_KEY = 7_403_118_290;

/**
 * Applies drizzle/ to the primary with drizzle-orm's runtime migrator. A
 * session-level advisory lock on the single connection makes a second run at
 * the same time (a retried job) wait and then find nothing left to do.
 */
export async function runMigrations(database: DatabaseConfig, password: string): Promise<void> {
  const sql = postgres({
    host: database.primary.host,
    port: database.primary.port,
    user: database.user,
    database: database.database,
    pass: password,
    ssl: sslOption(database),
    max: 1, // one session: the advisory lock and the migration share it
    connect_timeout: database.connectTimeoutMs / 1000,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: 'pg-replica-functions:migrate' },
  });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(drizzle({ client: sql }), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

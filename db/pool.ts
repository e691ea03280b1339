import type { ConnectionOptions } from 'node:tls';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import type { DatabaseConfig, HostConfig } from '../config/config.js';
import type { SslMode } from '../config/options.js';

export interface Pool<Queries> {
  sql: Sql;
  /** Its statements, prepared once when it opens (see statements.ts). */
  queries: Queries;
}

export interface PoolSettings {
  database: DatabaseConfig;
  host: HostConfig;
  poolMax: number;
  applicationName: string;
  /** Called for every new connection, so a rotated password takes effect without a restart. */
  password: () => string | Promise<string>;
}

type SslOption = false | 'prefer' | 'require' | 'verify-full' | ConnectionOptions;

/** postgres.js's own `ssl` values, for the modes that are not given a CA. */
const SSL_WITHOUT_CA: Record<
  Exclude<SslMode, 'verify-ca'>,
  false | 'prefer' | 'require' | 'verify-full'
> = {
  disable: false,
  prefer: 'prefer',
  require: 'require',
  'verify-full': 'verify-full',
};

/**
 * postgres.js's `ssl` option for POSTGRES_SSLMODE and POSTGRES_SSLROOTCERT.
 * A given CA replaces Node's roots (the only anchor trusted). `require`
 * (postgres.js: rejectUnauthorized false) encrypts but takes any certificate.
 * verify-ca checks the chain and no name; verify-full checks both, the name
 * against the host as configured (an IP address against the IP SANs).
 */
export function sslOption(database: Pick<DatabaseConfig, 'sslMode' | 'sslRootCert'>): SslOption {
  const { sslMode, sslRootCert } = database;
  if (sslRootCert?.kind === 'reference') {
    throw new Error(
      'POSTGRES_SSLROOTCERT is still a Secret Manager reference: resolve it (resolvedDatabase) before opening a pool',
    );
  }
  const ca = sslRootCert?.value;
  if (sslMode === 'verify-ca') {
    // parseConfig refuses verify-ca without a CA: never the system roots without a name check.
    if (ca === undefined) throw new Error('POSTGRES_SSLMODE=verify-ca needs POSTGRES_SSLROOTCERT');
    return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }
  if (sslMode === 'verify-full' && ca !== undefined) return { ca, rejectUnauthorized: true };
  return SSL_WITHOUT_CA[sslMode];
}

export function openPool<Queries>(
  settings: PoolSettings,
  prepareQueries: (db: PostgresJsDatabase) => Queries,
): Pool<Queries> {
  const { database, host } = settings;
  const sql = postgres({
    host: host.host,
    port: host.port,
    user: database.user,
    database: database.database,
    pass: settings.password,
    ssl: sslOption(database),
    max: settings.poolMax,
    connect_timeout: database.connectTimeoutMs / 1000,
    idle_timeout: database.idleTimeoutS,
    max_lifetime: database.maxLifetimeS,
    fetch_types: false,
    // postgres.js waits (0.5–1) × 3^n / 100 s, up to 20 s, before reconnecting
    // after n failed connections: after a restart that outlasts every query
    // deadline. Recovery within a second or two needs a short, capped backoff.
    backoff: (retries: number) => Math.min(0.025 * 2 ** retries, 0.25),
    onnotice: () => {},
    connection: {
      application_name: settings.applicationName,
      statement_timeout: database.queryTimeoutMs,
      idle_in_transaction_session_timeout: database.queryTimeoutMs * 2,
    },
  });
  return { sql, queries: prepareQueries(drizzle({ client: sql })) };
}

interface PoolHolder<Queries> {
  current(): Pool<Queries>;
  /** Replaces `pool` with a new one, once, and destroys it. */
  retire(pool: Pool<Queries>): void;
  close(): Promise<void>;
}

/**
 * The host's pool, replaced when its connections may all be stuck (a
 * deadline fired, a connection attempt timed out on a frozen host). The old
 * one is destroyed at once: postgres.js would otherwise send the queries
 * still queued on it when the host thaws, long after their requests got a
 * 503 (a "failed" write would commit), and they would hold connections
 * beyond DB_POOL_MAX.
 */
export function holdPool<Queries>(open: () => Pool<Queries>): PoolHolder<Queries> {
  let pool = open();
  let closed = false;
  return {
    current: () => pool,
    retire(stuck) {
      if (closed || stuck !== pool) return;
      pool = open();
      stuck.sql.end({ timeout: 0 }).catch(() => {});
    },
    async close() {
      closed = true;
      await pool.sql.end({ timeout: 5 });
    },
  };
}

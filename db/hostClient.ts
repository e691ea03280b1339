import { setTimeout as sleep } from 'node:timers/promises';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import type { SslMode } from '../config/options.js';
import { DeadlineExceeded, withDeadline } from './deadline.js';
import { DatabaseUnavailableError, type HostRole } from './errors.js';
import { createSlots } from './slots.js';
import {
  driverErrorOf,
  isAuthenticationFailure,
  isRetryable,
  unavailableReason,
} from './sqlState.js';

export interface HostSettings {
  role: HostRole;
  /** `host:port`, named in errors, for a replica verified on its own. */
  endpoint?: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** Called for every new connection, so a rotated password takes effect without a restart. */
  password: () => string | Promise<string>;
  /** Called when Postgres rejects the password (a rotation); true if a retry may now succeed. */
  onAuthenticationFailure?: () => Promise<boolean>;
  sslMode: SslMode;
  poolMax: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  idleTimeoutS: number;
  maxLifetimeS: number;
  applicationName: string;
}

export interface Pool<Queries> {
  sql: Sql;
  db: PostgresJsDatabase;
  queries: Queries;
}

export interface QueryOptions {
  /** Safe to run again: retried on a connection-level error (a terminated backend). */
  idempotent?: boolean;
  /** A longer deadline for work that polls (the replication check); default DB_QUERY_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface HostClient<Queries> {
  readonly role: HostRole;
  query<T>(work: (pool: Pool<Queries>) => Promise<T>, options?: QueryOptions): Promise<T>;
  close(): Promise<void>;
}

const SSL: Record<SslMode, false | 'prefer' | 'require' | 'verify-full'> = {
  disable: false,
  prefer: 'prefer',
  require: 'require',
  'verify-full': 'verify-full',
};

function openPool<Queries>(
  settings: HostSettings,
  prepareQueries: (db: PostgresJsDatabase) => Queries,
): Pool<Queries> {
  const sql = postgres({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    database: settings.database,
    pass: settings.password,
    ssl: SSL[settings.sslMode],
    max: settings.poolMax,
    connect_timeout: settings.connectTimeoutMs / 1000,
    idle_timeout: settings.idleTimeoutS,
    max_lifetime: settings.maxLifetimeS,
    fetch_types: false,
    // postgres.js waits (0.5–1) × 3^n / 100 s, up to 20 s, before reconnecting
    // after n failed connections: after a restart that outlasts every query
    // deadline. Recovery within a second or two needs a short, capped backoff.
    backoff: (retries: number) => Math.min(0.025 * 2 ** retries, 0.25),
    onnotice: () => {},
    connection: {
      application_name: settings.applicationName,
      statement_timeout: settings.queryTimeoutMs,
      idle_in_transaction_session_timeout: settings.queryTimeoutMs * 2,
    },
  });
  const db = drizzle({ client: sql });
  return { sql, db, queries: prepareQueries(db) };
}

/**
 * One pool per host for the whole process. Every query runs under a
 * client-side deadline that counts time queued for a connection: a frozen
 * server never fires statement_timeout, and postgres.js has no query timeout.
 * When the deadline fires, the pool is replaced, because its connections may
 * all be stuck on the frozen server.
 */
export function createHostClient<Queries>(
  settings: HostSettings,
  prepareQueries: (db: PostgresJsDatabase) => Queries,
): HostClient<Queries> {
  let current = openPool(settings, prepareQueries);
  const unavailable = (reason: string, cause?: unknown) =>
    new DatabaseUnavailableError(settings.role, reason, { cause, endpoint: settings.endpoint });
  const slots = createSlots(settings.poolMax);
  let closed = false;

  function retire(pool: Pool<Queries>): void {
    if (closed || pool !== current) return;
    current = openPool(settings, prepareQueries);
    // Destroyed at once: postgres.js would otherwise send the queries still
    // queued on it when the host thaws, long after their requests got a 503
    // (a "failed" write would commit), and they would hold connections beyond
    // DB_POOL_MAX. Idempotent reads running on it are retried on the new pool.
    pool.sql.end({ timeout: 0 }).catch(() => {});
  }

  // Bounded by the request's own deadline: a slow Secret Manager must not hang it.
  function refreshPassword(deadline: number): Promise<boolean> {
    const refresh = settings.onAuthenticationFailure;
    if (!refresh) return Promise.resolve(false);
    return withDeadline(refresh(), deadline - Date.now()).catch(() => false);
  }

  async function query<T>(
    work: (pool: Pool<Queries>) => Promise<T>,
    options: QueryOptions = {},
  ): Promise<T> {
    if (closed) throw unavailable('client is shutting down');
    const timeoutMs = options.timeoutMs ?? settings.queryTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let release = slots.tryAcquire();
    if (!release) {
      try {
        release = await slots.acquire(deadline, timeoutMs);
      } catch {
        throw unavailable(`had no free connection within ${timeoutMs} ms`);
      }
    }
    let connectionRetries = 0;
    let authenticationRetries = 0;
    try {
      for (;;) {
        const pool = current;
        try {
          return await withDeadline(work(pool), deadline - Date.now(), timeoutMs);
        } catch (error) {
          if (error instanceof DeadlineExceeded) {
            retire(pool);
            throw unavailable(error.message);
          }
          if (Date.now() < deadline) {
            // Up to three times, a little later each time: when many backends
            // are terminated at once, a retry may pick another connection whose
            // close has not been noticed yet.
            if (options.idempotent && connectionRetries < 3 && isRetryable(error)) {
              connectionRetries++;
              await sleep(Math.min(25 * connectionRetries, Math.max(0, deadline - Date.now())));
              continue;
            }
            // A rejected password reaches no query, so retrying is safe for writes
            // too. More than once: a retry may land on a connection that was
            // already authenticating with the old password.
            if (
              authenticationRetries < 3 &&
              isAuthenticationFailure(error) &&
              (await refreshPassword(deadline))
            ) {
              authenticationRetries++;
              continue;
            }
          }
          const reason = unavailableReason(error);
          // A host that takes connections but never answers them (frozen) leaves
          // queries queued behind the attempt: drop them with the pool.
          if (driverErrorOf(error)?.code === 'CONNECT_TIMEOUT') retire(pool);
          if (reason) throw unavailable(reason, error);
          throw error;
        }
      }
    } finally {
      release();
    }
  }

  return {
    role: settings.role,
    query,
    async close() {
      closed = true;
      await current.sql.end({ timeout: 5 });
    },
  };
}

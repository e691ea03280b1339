import { setTimeout as sleep } from 'node:timers/promises';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { createAdmission } from './admission.js';
import { DeadlineExceeded, withDeadline } from './deadline.js';
import { DatabaseUnavailableError, type HostRole } from './errors.js';
import { holdPool, openPool, type Pool, type PoolSettings } from './pool.js';
import { connectionRetryDelay, mayRetryAuthentication } from './retryPolicy.js';
import { driverErrorOf, unavailableReason } from './sqlState.js';

interface HostSettings extends PoolSettings {
  role: HostRole;
  /** `host:port`, named in errors, for a replica verified on its own. */
  endpoint?: string;
  /** Called when Postgres rejects the password (a rotation); true if a retry may now succeed. */
  onAuthenticationFailure?: () => Promise<boolean>;
}

interface QueryOptions {
  /** Safe to run again: retried on a connection-level error (a terminated backend). */
  idempotent?: boolean;
  /** A longer deadline for work that polls (the replication check); default DB_QUERY_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface HostClient<Queries> {
  query<T>(work: (pool: Pool<Queries>) => Promise<T>, options?: QueryOptions): Promise<T>;
  /** Queries running (one connection each) and waiting for one. */
  load(): { inUse: number; waiting: number };
  close(): Promise<void>;
}

/**
 * One pool per host for the whole process, and four policies around every
 * query: admission (at most DB_POOL_MAX at once, the rest wait here), a
 * client-side deadline that counts the wait (a frozen server never fires
 * statement_timeout, and postgres.js has no query timeout) and retires the
 * pool when it fires, connection retry for idempotent work, and
 * authentication retry after a password rotation.
 */
export function createHostClient<Queries>(
  settings: HostSettings,
  prepareQueries: (db: PostgresJsDatabase) => Queries,
): HostClient<Queries> {
  const pools = holdPool(() => openPool(settings, prepareQueries));
  const admission = createAdmission(settings.poolMax);
  const defaultTimeoutMs = settings.database.queryTimeoutMs;
  let closed = false;

  const unavailable = (reason: string, cause?: unknown) =>
    new DatabaseUnavailableError(settings.role, reason, { cause, endpoint: settings.endpoint });

  // Bounded by the request's own deadline: a slow Secret Manager must not hang it.
  const refreshPassword = (deadline: number) => {
    const refresh = settings.onAuthenticationFailure;
    if (!refresh) return Promise.resolve(false);
    return withDeadline(refresh(), deadline - Date.now()).catch(() => false);
  };

  async function query<T>(
    work: (pool: Pool<Queries>) => Promise<T>,
    options: QueryOptions = {},
  ): Promise<T> {
    if (closed) throw unavailable('client is shutting down');
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const release =
      admission.tryEnter() ??
      (await admission.enter(deadline, timeoutMs).catch(() => {
        throw unavailable(`had no free connection within ${timeoutMs} ms`);
      }));
    let connectionTries = 0;
    let authenticationTries = 0;
    try {
      for (;;) {
        const pool = pools.current();
        try {
          return await withDeadline(work(pool), deadline - Date.now(), timeoutMs);
        } catch (error) {
          if (error instanceof DeadlineExceeded) {
            pools.retire(pool);
            throw unavailable(error.message);
          }
          if (Date.now() < deadline) {
            const wait = connectionRetryDelay(
              error,
              options.idempotent ?? false,
              connectionTries,
              settings.poolMax,
            );
            if (wait !== undefined) {
              connectionTries++;
              await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
              continue;
            }
            if (
              mayRetryAuthentication(error, authenticationTries) &&
              (await refreshPassword(deadline))
            ) {
              authenticationTries++;
              continue;
            }
          }
          // A host that takes connections but never answers them (frozen) leaves
          // queries queued behind the attempt: drop them with the pool.
          if (driverErrorOf(error)?.code === 'CONNECT_TIMEOUT') pools.retire(pool);
          const reason = unavailableReason(error);
          if (reason) throw unavailable(reason, error);
          throw error;
        }
      }
    } finally {
      release();
    }
  }

  return {
    query,
    load: admission.load,
    async close() {
      closed = true;
      await pools.close();
    },
  };
}

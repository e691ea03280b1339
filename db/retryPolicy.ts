import { isAuthenticationFailure, isRetryable } from './sqlState.js';

const MAX_AUTHENTICATION_TRIES = 3;

/**
 * Idempotent work after a connection-level error (a terminated backend):
 * tried again, on another connection, up to `maxRetries` times. After a mass
 * termination (a failover, a pooler restart, pg_terminate_backend) every
 * pooled connection may be dead before its close is noticed, and a query on
 * each fails once (the connection is then dropped): so the caller allows a
 * retry for each connection its pool holds. Waits 25, 50, 75, then 100 ms,
 * so that closes not noticed yet are; the query's deadline bounds the whole.
 * Returns the wait before try `tries + 1`, or undefined when not to retry.
 */
export function connectionRetryDelay(
  error: unknown,
  idempotent: boolean,
  tries: number,
  maxRetries: number,
): number | undefined {
  if (!idempotent || tries >= maxRetries || !isRetryable(error)) return undefined;
  return Math.min(25 * (tries + 1), 100);
}

/**
 * A rejected password reaches no query, so retrying is safe for writes too,
 * once the password may have changed (the caller reads it again to know).
 * Up to three times: a retry may land on a connection that was already
 * authenticating with the old password. Synchronous, so that the common
 * error (a conflict, a constraint) costs no promise.
 */
export function mayRetryAuthentication(error: unknown, tries: number): boolean {
  return tries < MAX_AUTHENTICATION_TRIES && isAuthenticationFailure(error);
}

import { isAuthenticationFailure, isRetryable } from './sqlState.js';

const MAX_TRIES = 3;

/**
 * Idempotent work after a connection-level error (a terminated backend):
 * up to three more tries, 25, 50 and 75 ms later. When many backends are
 * terminated at once, a retry may pick another connection whose close has
 * not been noticed yet, hence the growing wait. Returns the wait before try
 * `tries + 1`, or undefined when not to retry.
 */
export function connectionRetryDelay(
  error: unknown,
  idempotent: boolean,
  tries: number,
): number | undefined {
  if (!idempotent || tries >= MAX_TRIES || !isRetryable(error)) return undefined;
  return 25 * (tries + 1);
}

/**
 * A rejected password reaches no query, so retrying is safe for writes too,
 * once the password may have changed (the caller reads it again to know).
 * Up to three times: a retry may land on a connection that was already
 * authenticating with the old password. Synchronous, so that the common
 * error (a conflict, a constraint) costs no promise.
 */
export function mayRetryAuthentication(error: unknown, tries: number): boolean {
  return tries < MAX_TRIES && isAuthenticationFailure(error);
}

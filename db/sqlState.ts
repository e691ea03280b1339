// What a failed query means for availability. Drizzle wraps driver errors
// ("Failed query: …"), so the SQLSTATE may be on err.cause rather than err.

interface DriverError {
  code?: string;
  constraint_name?: string;
  message: string;
}

export function driverErrorOf(error: unknown): DriverError | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    if (typeof current === 'object' && typeof (current as DriverError).code === 'string') {
      return current as DriverError;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

// Errors raised by postgres.js or the socket, not by the server.
const CONNECTION_CODES: Record<string, string> = {
  CONNECT_TIMEOUT: 'did not accept a connection in time',
  CONNECTION_CLOSED: 'closed the connection',
  CONNECTION_DESTROYED: 'connection was closed',
  CONNECTION_ENDED: 'connection was closed',
  ECONNREFUSED: 'refused the connection',
  ECONNRESET: 'reset the connection',
  EPIPE: 'closed the connection',
  ETIMEDOUT: 'did not answer in time',
  EHOSTUNREACH: 'is unreachable',
  ENETUNREACH: 'is unreachable',
  ENOTFOUND: 'host name does not resolve',
  EAI_AGAIN: 'host name does not resolve',
  SASL_SIGNATURE_MISMATCH: 'failed authentication',
};

// Node's codes for a server certificate that failed verification (verify-ca,
// verify-full). Not retryable: the next handshake meets the same certificate.
const UNTRUSTED = 'presented a TLS certificate that is not trusted';
const TLS_CERTIFICATE_CODES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: `${UNTRUSTED}: not signed by the CA in POSTGRES_SSLROOTCERT`,
  UNABLE_TO_GET_ISSUER_CERT: `${UNTRUSTED}: not signed by the CA in POSTGRES_SSLROOTCERT`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `${UNTRUSTED}: not signed by the CA in POSTGRES_SSLROOTCERT`,
  SELF_SIGNED_CERT_IN_CHAIN: `${UNTRUSTED}: its chain ends in a CA other than POSTGRES_SSLROOTCERT`,
  DEPTH_ZERO_SELF_SIGNED_CERT: `${UNTRUSTED}: it is self-signed`,
  CERT_SIGNATURE_FAILURE: `${UNTRUSTED}: its signature does not verify`,
  CERT_UNTRUSTED: UNTRUSTED,
  CERT_REJECTED: UNTRUSTED,
  INVALID_CA: `${UNTRUSTED}: an issuer in its chain is not a CA`,
  INVALID_PURPOSE: `${UNTRUSTED}: it is not for TLS servers`,
  CERT_HAS_EXPIRED: 'presented a TLS certificate that has expired, or POSTGRES_SSLROOTCERT has',
  CERT_NOT_YET_VALID: 'presented a TLS certificate that is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID:
    'presented a TLS certificate for other names (verify-full checks the host name; verify-ca does not)',
};

/** The certificate the server presented failed verification: the reason, naming TLS. */
export function tlsCertificateReason(error: unknown): string | undefined {
  const code = driverErrorOf(error)?.code;
  const reason = code === undefined ? undefined : TLS_CERTIFICATE_CODES[code];
  return reason === undefined ? undefined : `${reason} (${code})`;
}

// Errors after which the same idempotent query may succeed on a new connection.
const RETRYABLE_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'ECONNRESET',
  'EPIPE',
  '57P01', // admin_shutdown: pg_terminate_backend or a fast shutdown
  '57P02', // crash_shutdown
]);

// Node's words when the server drops the socket during the TLS handshake:
// what a server without TLS does when POSTGRES_SSLMODE is require.
const TLS_REFUSED = /before secure TLS connection was established/;

export const TLS_REFUSED_REASON =
  'does not accept TLS: set POSTGRES_SSLMODE=disable (or prefer) for it, or enable TLS on the server';

export function isTlsRefused(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    if (current instanceof Error && TLS_REFUSED.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Why the host is unusable, or undefined when the error is about the query or its data. */
export function unavailableReason(error: unknown): string | undefined {
  if (isTlsRefused(error)) return TLS_REFUSED_REASON;
  const tls = tlsCertificateReason(error);
  if (tls) return tls;
  const code = driverErrorOf(error)?.code;
  if (code === undefined) return undefined;
  const known = CONNECTION_CODES[code];
  if (known) return known;
  if (code.startsWith('08')) return 'lost the connection';
  if (code.startsWith('28')) return 'rejected the credentials';
  if (code === '53300') return 'has too many connections';
  if (code.startsWith('53')) return 'is out of resources';
  if (code.startsWith('57P')) return 'is shutting down or starting up';
  if (code === '57014') return 'cancelled the query (statement timeout)';
  if (code === '25006') return 'is read-only (in recovery)';
  if (code === '3D000') return 'has no such database';
  if (code === '42P01' || code === '3F000') return 'has no schema yet (run npm run db:migrate)';
  if (code === '40001' || code === '40P01') return 'aborted the transaction (retry)';
  return undefined;
}

export function isRetryable(error: unknown): boolean {
  const code = driverErrorOf(error)?.code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** invalid_password (28P01) or invalid_authorization_specification (28000). */
export function isAuthenticationFailure(error: unknown): boolean {
  const code = driverErrorOf(error)?.code;
  return code === '28P01' || code === '28000';
}

import { describe, expect, it } from 'vitest';
import {
  driverErrorOf,
  isAuthenticationFailure,
  isRetryable,
  isTlsRefused,
  TLS_REFUSED_REASON,
  tlsCertificateReason,
  unavailableReason,
} from '../../db/sqlState.js';

// SQLSTATEs and driver/socket codes → why a host is unusable (or undefined:
// the error is about the query or its data), retryable, authentication.

const coded = (code: string) => Object.assign(new Error(`error ${code}`), { code });
/** As Drizzle raises it: the driver's error on `cause`. */
const wrapped = (cause: unknown) => new Error('Failed query: select 1', { cause });

describe('unavailableReason', () => {
  it.each([
    // postgres.js and the socket
    ['CONNECT_TIMEOUT', 'did not accept a connection in time'],
    ['CONNECTION_CLOSED', 'closed the connection'],
    ['CONNECTION_DESTROYED', 'connection was closed'],
    ['CONNECTION_ENDED', 'connection was closed'],
    ['ECONNREFUSED', 'refused the connection'],
    ['ECONNRESET', 'reset the connection'],
    ['EPIPE', 'closed the connection'],
    ['ETIMEDOUT', 'did not answer in time'],
    ['EHOSTUNREACH', 'is unreachable'],
    ['ENETUNREACH', 'is unreachable'],
    ['ENOTFOUND', 'host name does not resolve'],
    ['EAI_AGAIN', 'host name does not resolve'],
    ['SASL_SIGNATURE_MISMATCH', 'failed authentication'],
    // SQLSTATE classes and codes
    ['08006', 'lost the connection'],
    ['08001', 'lost the connection'],
    ['28P01', 'rejected the credentials'],
    ['28000', 'rejected the credentials'],
    ['53300', 'has too many connections'],
    ['53100', 'is out of resources'],
    ['53200', 'is out of resources'],
    ['57P01', 'is shutting down or starting up'],
    ['57P03', 'is shutting down or starting up'],
    ['57014', 'cancelled the query (statement timeout)'],
    ['25006', 'is read-only (in recovery)'],
    ['3D000', 'has no such database'],
    ['42P01', 'has no schema yet (run npm run db:migrate)'],
    ['3F000', 'has no schema yet (run npm run db:migrate)'],
    ['40001', 'aborted the transaction (retry)'],
    ['40P01', 'aborted the transaction (retry)'],
    // about the query or its data: the host is fine
    ['23505', undefined],
    ['23514', undefined],
    ['22P02', undefined],
    ['42601', undefined],
    ['57000', undefined],
    ['XX000', undefined],
  ] as const)('%s → %s', (code, expected) => {
    expect(unavailableReason(coded(code))).toBe(expected);
    expect(unavailableReason(wrapped(coded(code)))).toBe(expected);
  });

  it.each([
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'not signed by the CA in POSTGRES_SSLROOTCERT'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'its chain ends in a CA other than POSTGRES_SSLROOTCERT'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'it is self-signed'],
    ['CERT_HAS_EXPIRED', 'presented a TLS certificate that has expired'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'verify-full checks the host name'],
  ])('a certificate failing verification, %s: names TLS and the code', (code, words) => {
    const reason = unavailableReason(wrapped(coded(code)));
    expect(reason).toContain(words);
    expect(reason).toMatch(/TLS certificate/);
    expect(reason?.endsWith(`(${code})`)).toBe(true);
    expect(tlsCertificateReason(coded(code))).toBe(reason);
  });

  it.each([
    [
      'the socket closed during the handshake',
      new Error('Client network socket disconnected before secure TLS connection was established'),
    ],
    [
      'the same, wrapped twice',
      wrapped(wrapped(new Error('… before secure TLS connection was established'))),
    ],
  ])('TLS refused: %s', (_, error) => {
    expect(isTlsRefused(error)).toBe(true);
    expect(unavailableReason(error)).toBe(TLS_REFUSED_REASON);
  });

  it.each([
    ['no code', new Error('something')],
    ['a numeric code', Object.assign(new Error('x'), { code: 57014 })],
    ['not an error', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('%s: undefined', (_, error) => {
    expect(unavailableReason(error)).toBeUndefined();
    expect(isRetryable(error)).toBe(false);
    expect(isAuthenticationFailure(error)).toBe(false);
  });
});

describe('driverErrorOf', () => {
  const inner = coded('23505');
  it.each([
    ['the error itself', inner, inner],
    ['one cause down', wrapped(inner), inner],
    ['three causes down', wrapped(wrapped(wrapped(inner))), inner],
    ['four causes down: too deep', wrapped(wrapped(wrapped(wrapped(inner)))), undefined],
    ['the outermost code wins', Object.assign(wrapped(inner), { code: 'ECONNRESET' }), 'outer'],
    ['no code anywhere', wrapped(new Error('x')), undefined],
  ] as const)('%s', (_, error, expected) => {
    const found = driverErrorOf(error);
    if (expected === 'outer') expect(found).toBe(error);
    else expect(found).toBe(expected);
  });
});

describe('isRetryable and isAuthenticationFailure', () => {
  it.each([
    ['CONNECTION_CLOSED', true, false],
    ['CONNECTION_DESTROYED', true, false],
    ['ECONNRESET', true, false],
    ['EPIPE', true, false],
    ['57P01', true, false],
    ['57P02', true, false],
    // the next attempt meets the same answer, or waits as long again
    ['57P03', false, false],
    ['ECONNREFUSED', false, false],
    ['CONNECT_TIMEOUT', false, false],
    ['CONNECTION_ENDED', false, false],
    ['57014', false, false],
    ['23505', false, false],
    ['28P01', false, true],
    ['28000', false, true],
  ] as const)('%s: retryable %s, authentication %s', (code, retryable, authentication) => {
    expect(isRetryable(wrapped(coded(code)))).toBe(retryable);
    expect(isAuthenticationFailure(wrapped(coded(code)))).toBe(authentication);
  });
});

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface Credentials {
  username: string;
  password: string;
}

/** The credentials accepted now: more than one during a rotation window. */
export type CredentialSource = () => readonly Credentials[];

/**
 * Why a request was refused: no Authorization header, one that is not Basic
 * credentials, or credentials that match no accepted pair. A bounded set: it
 * labels a metric, and never carries what was sent.
 */
export type AuthFailure = 'missing' | 'malformed' | 'rejected';
export const AUTH_FAILURES: readonly AuthFailure[] = ['missing', 'malformed', 'rejected'];

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

// Everything is compared as SHA-256 digests: both sides have the same length,
// so timingSafeEqual's time says nothing about the expected value's length.

function decode(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const canonicalHeader = ({ username, password }: Credentials) =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

/**
 * Checks the Authorization header in constant time against every accepted
 * pair: undefined when it matches one, else why not. The digests of the
 * accepted headers are kept until the accepted set changes (a rotation), so a
 * request costs one hash, not four.
 */
export function createAuthoriser(
  accepted: CredentialSource,
): (req: IncomingMessage) => AuthFailure | undefined {
  let cachedFor: readonly Credentials[] | undefined;
  let headerDigests: Buffer[] = [];
  let pairDigests: { username: Buffer; password: Buffer }[] = [];

  function refresh(): void {
    const current = accepted();
    const same =
      cachedFor !== undefined &&
      cachedFor.length === current.length &&
      cachedFor.every(
        (c, i) => c.username === current[i]?.username && c.password === current[i]?.password,
      );
    if (same) return;
    cachedFor = current;
    headerDigests = current.map((c) => digest(canonicalHeader(c)));
    pairDigests = current.map((c) => ({
      username: digest(c.username),
      password: digest(c.password),
    }));
  }

  return (req) => {
    refresh();
    const header = req.headers.authorization;
    if (header === undefined) return 'missing';
    // Every accepted value is compared, so timing does not reveal which matched.
    const given = digest(header);
    let ok = false;
    for (const expected of headerDigests) ok = timingSafeEqual(given, expected) || ok;
    if (ok) return undefined;
    // Not in the canonical form (e.g. a lower-case scheme): decode and compare the parts.
    const parts = decode(header);
    if (!parts) return 'malformed';
    const username = digest(parts.username);
    const password = digest(parts.password);
    for (const expected of pairDigests) {
      const userOk = timingSafeEqual(username, expected.username);
      const passwordOk = timingSafeEqual(password, expected.password);
      ok = (userOk && passwordOk) || ok;
    }
    return ok ? undefined : 'rejected';
  };
}

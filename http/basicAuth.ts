import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface Credentials {
  username: string;
  password: string;
}

/** The credentials accepted now: more than one during a rotation window. */
export type CredentialSource = () => readonly Credentials[];

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

// Digests make both sides the same length, so the comparison time says
// nothing about the expected value's length either.
function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function decode(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function isAuthorised(req: IncomingMessage, accepted: CredentialSource): boolean {
  const given = decode(req.headers.authorization);
  if (!given) return false;
  let ok = false;
  // Every accepted pair is compared, so timing does not reveal which matched.
  for (const expected of accepted()) {
    const userOk = constantTimeEqual(given.username, expected.username);
    const passwordOk = constantTimeEqual(given.password, expected.password);
    ok = (userOk && passwordOk) || ok;
  }
  return ok;
}

import { X509Certificate } from 'node:crypto';
import * as v from 'valibot';
import { MalformedReference, parseSecretSetting, type SecretSetting } from './secretReference.js';

// Parsers of raw environment strings. Their messages name what the value must
// be and never echo it: some variables hold secrets.

export type Parser<T> = v.GenericSchema<string, T>;

export const text = v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'));

export function integer(min: number, max: number): Parser<number> {
  return v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d+$/, `must be a whole number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `must be from ${min} to ${max}`),
    v.maxValue(max, `must be from ${min} to ${max}`),
  );
}

export const port = integer(1, 65535);

export function oneOf<const T extends readonly string[]>(values: T): Parser<T[number]> {
  return v.pipe(v.string(), v.trim(), v.picklist(values, `must be one of ${values.join(', ')}`));
}

export const hostPort = v.pipe(
  v.string(),
  v.trim(),
  v.regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be host:port'),
);

export interface Endpoint {
  host: string;
  /** Undefined: the caller's default port. */
  port: number | undefined;
}

const ENDPOINT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:,[\]]+))(?::(\d{1,5}))?$/;

/** A comma-separated list of `host[:port]` (IPv6 in brackets), each once. */
export const endpointList: Parser<Endpoint[]> = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const endpoints: Endpoint[] = [];
    for (const item of dataset.value.split(',').map((part) => part.trim())) {
      const match = ENDPOINT.exec(item);
      const host = match?.[1] ?? match?.[2];
      const port = match?.[3] === undefined ? undefined : Number(match[3]);
      if (!host || (port !== undefined && (port < 1 || port > 65535))) {
        addIssue({ message: `must be a comma-separated list of host[:port]; "${item}" is not` });
        return NEVER;
      }
      endpoints.push({ host, port });
    }
    const keys = endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port ?? ''}`);
    if (new Set(keys).size !== keys.length) {
      addIssue({ message: 'lists an endpoint twice' });
      return NEVER;
    }
    return endpoints;
  }),
);

/** A comma-separated list of names (each once); empty: none. */
export const nameList: Parser<string[]> = v.pipe(
  v.string(),
  v.transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  ),
  v.check((names) => new Set(names).size === names.length, 'lists a name twice'),
);

/** A value, or a Secret Manager reference to one. */
export const secret: Parser<SecretSetting> = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return parseSecretSetting(dataset.value);
    } catch (error) {
      if (!(error instanceof MalformedReference)) throw error;
      addIssue({ message: error.message });
      return NEVER;
    }
  }),
);

/** Any string, as given (a path). */
export const anyText: Parser<string> = v.string();

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/**
 * What is wrong with a CA bundle (POSTGRES_SSLROOTCERT), or undefined: one or
 * more PEM certificates, each a valid X.509 certificate, and no private key
 * (a pasted key would be a secret where none belongs). Never quotes the text.
 */
export function certificatesProblem(pem: string): string | undefined {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.some((block) => block[1]?.includes('PRIVATE KEY'))) {
    return 'holds a private key: give the CA certificate only (PEM, -----BEGIN CERTIFICATE-----)';
  }
  const certificates = blocks.filter((block) => block[1] === 'CERTIFICATE');
  if (certificates.length === 0) {
    return 'is not a PEM certificate: expected one or more -----BEGIN CERTIFICATE----- blocks';
  }
  for (const [index, block] of certificates.entries()) {
    try {
      new X509Certificate(block[0]);
    } catch {
      return `is not a valid PEM certificate (certificate ${index + 1} of ${certificates.length} does not parse)`;
    }
  }
  return undefined;
}

/** A CA bundle in PEM, or a Secret Manager reference to one (checked once resolved). */
export const secretCertificates: Parser<SecretSetting> = v.pipe(
  secret,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value.kind !== 'literal') return;
    const problem = certificatesProblem(dataset.value.value);
    if (problem) addIssue({ message: problem });
  }),
);

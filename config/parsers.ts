import { z } from 'zod';
import { MalformedReference, parseSecretSetting, type SecretSetting } from './secretReference.js';

// Parsers of raw environment strings. Their messages name what the value must
// be and never echo it: some variables hold secrets.

export const text = z.string().trim().min(1, { error: 'must not be empty' });

export function integer(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be from ${min} to ${max}` })
        .max(max, { error: `must be from ${min} to ${max}` }),
    );
}

export const port = integer(1, 65535);

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .trim()
    .pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` }));
}

export const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, { error: 'must be host:port' });

export interface Endpoint {
  host: string;
  /** Undefined: the caller's default port. */
  port: number | undefined;
}

const ENDPOINT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:,[\]]+))(?::(\d{1,5}))?$/;

/** A comma-separated list of `host[:port]` (IPv6 in brackets), each once. */
export const endpointList = z.string().transform((raw, context): Endpoint[] => {
  const endpoints: Endpoint[] = [];
  for (const item of raw.split(',').map((part) => part.trim())) {
    const match = ENDPOINT.exec(item);
    const host = match?.[1] ?? match?.[2];
    const port = match?.[3] === undefined ? undefined : Number(match[3]);
    if (!host || (port !== undefined && (port < 1 || port > 65535))) {
      context.addIssue({
        code: 'custom',
        message: `must be a comma-separated list of host[:port]; "${item}" is not`,
      });
      return z.NEVER;
    }
    endpoints.push({ host, port });
  }
  const keys = endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port ?? ''}`);
  if (new Set(keys).size !== keys.length) {
    context.addIssue({ code: 'custom', message: 'lists an endpoint twice' });
    return z.NEVER;
  }
  return endpoints;
});

/** A value, or a Secret Manager reference to one. */
export const secret = z.string().transform((raw, context): SecretSetting => {
  try {
    return parseSecretSetting(raw);
  } catch (error) {
    if (!(error instanceof MalformedReference)) throw error;
    context.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
});

// Every environment option in one place: its variable, default and parser.
// Parsers return the value or throw an OptionError with a message that never
// echoes the raw value of a secret.

import {
  MalformedReference,
  parseSecretSetting,
  type SecretSetting,
} from '../secrets/reference.js';

export class OptionError extends Error {}

export type Parser<T> = (raw: string) => T;

export const text: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new OptionError('must not be empty');
  return raw;
};

export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^\d+$/.test(raw.trim()))
      throw new OptionError(`must be a whole number from ${min} to ${max}`);
    const value = Number(raw.trim());
    if (value < min || value > max) throw new OptionError(`must be from ${min} to ${max}`);
    return value;
  };
}

export const port = integer(1, 65535);

export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    const value = raw.trim() as T;
    if (!values.includes(value)) throw new OptionError(`must be one of ${values.join(', ')}`);
    return value;
  };
}

export const hostPort: Parser<string> = (raw) => {
  if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(raw.trim())) {
    throw new OptionError('must be host:port');
  }
  return raw.trim();
};

export interface Endpoint {
  host: string;
  /** Undefined: the caller's default port. */
  port: number | undefined;
}

const ENDPOINT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:,[\]]+))(?::(\d{1,5}))?$/;

/** A comma-separated list of `host[:port]` (IPv6 in brackets), each once. */
export const endpointList: Parser<Endpoint[]> = (raw) => {
  const endpoints = raw.split(',').map((item) => {
    const match = ENDPOINT.exec(item.trim());
    const host = match?.[1] ?? match?.[2];
    const port = match?.[3] === undefined ? undefined : Number(match[3]);
    if (!host || (port !== undefined && (port < 1 || port > 65535))) {
      throw new OptionError(
        `must be a comma-separated list of host[:port]; "${item.trim()}" is not`,
      );
    }
    return { host, port };
  });
  const keys = endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port ?? ''}`);
  if (new Set(keys).size !== keys.length) throw new OptionError('lists an endpoint twice');
  return endpoints;
};

export const FUNCTION_TARGETS = [
  'api',
  'status',
  'country',
  'countryReplica',
  'replicationCheck',
] as const;
export type FunctionTarget = (typeof FUNCTION_TARGETS)[number];

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** Variables whose values are secrets: never printed, may hold Secret Manager references. */
export const SECRET_VARIABLES = [
  'POSTGRES_MAIN_PASSWORD',
  'POSTGRES_REPLICATION_PASSWORD',
  'BASIC_AUTH_USERNAME',
  'BASIC_AUTH_PASSWORD',
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

export const secret: Parser<SecretSetting> = (raw) => {
  try {
    return parseSecretSetting(raw);
  } catch (error) {
    if (error instanceof MalformedReference) throw new OptionError(error.message);
    throw error;
  }
};

import * as v from 'valibot';
import type { Parser } from './parsers.js';

/** An option's value was set but is not valid; the message never echoes it. */
export class OptionError extends Error {}

export interface Option<T> {
  /** Parses the raw environment value; unset or empty gives the default. */
  read(raw: string | undefined): T;
  /** The default as docs/operations.md's table shows it. */
  shown: string;
  /** A secret: never printed, may hold a Secret Manager reference. */
  secret: boolean;
  /** Only the local cluster (npm start without POSTGRES_MAIN_HOST, the tests) reads it. */
  local: boolean;
}

interface Spec {
  shown?: string;
  secret?: boolean;
  local?: boolean;
}

function reader<T>(schema: Parser<T>, fallback: T): (raw: string | undefined) => T {
  return (raw) => {
    if (raw === undefined || raw === '') return fallback;
    const result = v.safeParse(schema, raw);
    if (result.success) return result.output;
    throw new OptionError(result.issues[0]?.message ?? 'is not valid');
  };
}

/** An option with a default. */
export function option<T>(schema: Parser<T>, spec: Spec & { default: NoInfer<T> }): Option<T> {
  return {
    read: reader(schema, spec.default),
    shown: spec.shown ?? String(spec.default),
    secret: spec.secret ?? false,
    local: spec.local ?? false,
  };
}

/** An option that may stay unset. */
export function optional<T>(
  schema: Parser<T>,
  spec: Spec & { shown: string },
): Option<T | undefined> {
  return {
    read: reader<T | undefined>(schema, undefined),
    shown: spec.shown,
    secret: spec.secret ?? false,
    local: spec.local ?? false,
  };
}

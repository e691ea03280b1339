import type { FieldError } from './problem.js';
import { invalidRequest } from './problems.js';

/** Parses one query parameter's raw value, or throws a message saying what it must be. */
export type QueryParser<T> = (raw: string) => T;

export class QueryValueError extends Error {}

export function integerParameter(min: number, max: number): QueryParser<number> {
  return (raw) => {
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new QueryValueError(`must be a whole number from ${min} to ${max}`);
    }
    return Number(raw);
  };
}

type Parsed<S> = { [K in keyof S]: S[K] extends QueryParser<infer T> ? T | undefined : never };

/**
 * Parses query parameters. Unknown or repeated parameters are a 400 rather
 * than being ignored: a typo such as `limt` must not silently return everything.
 */
export function parseQuery<S extends Record<string, QueryParser<unknown>>>(
  query: URLSearchParams,
  spec: S,
): Parsed<S> {
  const errors: FieldError[] = [];
  const result: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    if (!(key in spec)) errors.push({ field: key, detail: 'is not a known query parameter' });
    else if (query.getAll(key).length > 1)
      errors.push({ field: key, detail: 'must be given once' });
  }
  for (const [key, parse] of Object.entries(spec)) {
    const raw = query.get(key);
    if (raw === null) continue;
    try {
      result[key] = parse(raw);
    } catch (error) {
      if (!(error instanceof QueryValueError)) throw error;
      errors.push({ field: key, detail: error.message });
    }
  }
  if (errors.length > 0) throw invalidRequest('the query parameters are not valid', errors);
  return result as Parsed<S>;
}

/** A query string with no parameters at all. */
export function noQuery(query: URLSearchParams): void {
  parseQuery(query, {});
}

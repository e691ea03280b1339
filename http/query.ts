import type { FieldError } from './problem.js';
import { invalidRequest } from './problems.js';

export interface IntegerParameter {
  min: number;
  max: number;
  default: number;
}

/**
 * Parses whole-number query parameters. Unknown or repeated parameters are a
 * 400 rather than being ignored: a typo such as `limt` must not silently
 * return everything.
 */
export function parseIntegerQuery<const K extends string>(
  query: URLSearchParams,
  spec: Record<K, IntegerParameter>,
): Record<K, number> {
  const errors: FieldError[] = [];
  const result = {} as Record<K, number>;
  for (const key of new Set(query.keys())) {
    if (!(key in spec)) errors.push({ field: key, detail: 'is not a known query parameter' });
    else if (query.getAll(key).length > 1)
      errors.push({ field: key, detail: 'must be given once' });
  }
  for (const [key, { min, max, default: fallback }] of Object.entries<IntegerParameter>(spec)) {
    const raw = query.get(key);
    if (raw === null) {
      result[key as K] = fallback;
    } else if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      errors.push({ field: key, detail: `must be a whole number from ${min} to ${max}` });
    } else {
      result[key as K] = Number(raw);
    }
  }
  if (errors.length > 0) throw invalidRequest('the query parameters are not valid', errors);
  return result;
}

import * as v from 'valibot';
import type { FieldError } from './problem.js';
import { invalidRequest } from './problems.js';

export type Schema<T = unknown> = v.GenericSchema<unknown, T>;

/** One error per field, in the words of the schema; missing and unknown fields said so. */
function fieldErrors(issues: readonly v.BaseIssue<unknown>[], unknown: string): FieldError[] {
  const errors = issues.map((issue): FieldError => {
    const field = issue.path?.map((item) => String(item.key)).join('.') || 'body';
    if (issue.expected === 'never') return { field, detail: unknown };
    const missing = issue.input === undefined && issue.kind === 'schema';
    return { field, detail: missing ? 'is required' : issue.message };
  });
  // The first word on each field is enough.
  return errors.filter(
    (error, index) => errors.findIndex((e) => e.field === error.field) === index,
  );
}

/** Parses with `schema`, or throws a 400 listing every field that failed. */
export function validate<T>(
  schema: Schema<T>,
  value: unknown,
  detail: string,
  unknown = 'is not a known field',
): T {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  throw invalidRequest(detail, fieldErrors(result.issues, unknown));
}

/** Query parameters as an object; a parameter given twice is refused, not silently picked. */
export function queryObject(query: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = {};
  const repeated: FieldError[] = [];
  for (const [key, value] of query) {
    const twice = key in values && !repeated.some((error) => error.field === key);
    if (twice) repeated.push({ field: key, detail: 'must be given once' });
    values[key] = value;
  }
  if (repeated.length > 0) throw invalidRequest('the query parameters are not valid', repeated);
  return values;
}

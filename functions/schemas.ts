import { createInsertSchema, createSelectSchema } from 'drizzle-valibot';
import * as v from 'valibot';
import { isLsn } from '../db/lsn.js';
import { country } from '../db/schema.js';

// One set of schemas: the router validates requests with them and the OpenAPI
// document is written from them (metadata fills in what JSON Schema cannot
// infer from a check). The country's are derived from the table.

const CONTROL_CHARACTER = /\p{Cc}/u;
// Invisible characters that change how text around them shows (U+202E turns
// it right to left, U+200B and U+FEFF are zero-width): a name could pass for
// another one in every tool that shows it.
const FORMAT_CHARACTER = /\p{Cf}/u;

const twoLetter = v.pipe(
  v.string('must be two ASCII letters'),
  v.regex(/^[A-Za-z]{2}$/, 'must be two ASCII letters'),
  v.toUpperCase(),
  v.description('ISO 3166-1 alpha-2 code, any case; stored upper-case'),
);

const codePoints = (value: string) => [...value].length;
const name = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.check(
    (value) => codePoints(value) >= 1 && codePoints(value) <= 100,
    'must be 1 to 100 characters after trimming',
  ),
  v.check((value) => !CONTROL_CHARACTER.test(value), 'must not contain control characters'),
  v.check(
    (value) => !FORMAT_CHARACTER.test(value),
    'must not contain Unicode format characters (such as U+202E or U+200B)',
  ),
  v.check((value) => value.isWellFormed(), 'must be valid Unicode'),
  v.description('Trimmed; no control characters, no Unicode format characters (category Cf)'),
  // JSON Schema counts code points, as the check above does.
  v.metadata({ minLength: 1, maxLength: 100 }),
);

const countryId = v.pipe(
  v.number('must be an integer'),
  v.integer('must be an integer'),
  v.minValue(1, 'must be an ISO 3166-1 numeric code from 1 to 999'),
  v.maxValue(999, 'must be an ISO 3166-1 numeric code from 1 to 999'),
  v.description('ISO 3166-1 numeric'),
);

/** A POSTed country: the table's insert schema with the contract's refinements; nothing else. */
export const countryInput = v.strictObject(
  createInsertSchema(country, { two_letter: twoLetter, name, country_id: countryId }).entries,
);

/** A country as the API answers it. */
export const countryOutput = createSelectSchema(country, {
  country_id: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(999)),
});

export const codeParams = v.strictObject({ two_letter: twoLetter });

/** A whole number from a query parameter, in range; documented as the integer it becomes. */
export function integerParameter(min: number, max: number, description: string) {
  const message = `must be a whole number from ${min} to ${max}`;
  return v.optional(
    v.pipe(
      v.string(),
      // Before the transform: the document describes what the client sends.
      v.description(description),
      v.metadata({ type: 'integer', minimum: min, maximum: max }),
      v.check((raw) => /^\d{1,9}$/.test(raw), message),
      v.transform(Number),
      v.minValue(min, message),
      v.maxValue(max, message),
    ),
  );
}

// country_id is unique within 1–999, so 1000 rows is always the whole table.
const page = {
  limit: integerParameter(1, 1000, 'Rows to return (default 1000: all)'),
  offset: integerParameter(0, 999, 'Rows to skip (default 0)'),
};
export const pageQuery = v.strictObject(page);

const lsn = v.pipe(
  v.string(),
  v.check(isLsn, 'must be a WAL position such as 0/3000148'),
  v.toUpperCase(),
  v.description(
    'Wait until the replica has replayed this WAL position (an X-Primary-LSN), then read',
  ),
  v.metadata({ pattern: '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$' }),
);

const consistency = {
  min_lsn: v.optional(lsn),
  wait_ms: integerParameter(0, 10_000, 'How long to wait for min_lsn (default 2000)'),
};

// wait_ms means nothing without min_lsn.
type Consistency = { min_lsn?: string | undefined; wait_ms?: number | undefined };
const waitNeedsMinLsn = <T extends Consistency>() =>
  v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value.wait_ms === undefined || dataset.value.min_lsn) return;
    addIssue({
      message: 'is only meaningful with min_lsn',
      path: [fieldPath(dataset.value, 'wait_ms')],
    });
  });

/** The path of one field of an object, for an issue raised about the whole object. */
export function fieldPath<T extends object>(input: T, key: keyof T & string) {
  return { type: 'object' as const, origin: 'value' as const, input, key, value: input[key] };
}

export const replicaPageQuery = v.pipe(
  v.strictObject({ ...page, ...consistency }),
  waitNeedsMinLsn<Consistency & { limit?: number | undefined; offset?: number | undefined }>(),
);
export const replicaOneQuery = v.pipe(v.strictObject(consistency), waitNeedsMinLsn<Consistency>());

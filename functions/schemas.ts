import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { isLsn } from '../db/lsn.js';
import { country } from '../db/schema.js';

// One set of schemas: the router validates requests with them and the OpenAPI
// document is written from them. The country's are derived from the table.

const CONTROL_CHARACTER = /\p{Cc}/u;

const twoLetter = z
  .string()
  .regex(/^[A-Za-z]{2}$/, { error: 'must be two ASCII letters' })
  .toUpperCase()
  .meta({ description: 'ISO 3166-1 alpha-2 code, any case; stored upper-case', example: 'US' });

const name = z
  .string({ error: 'must be a string' })
  .trim()
  .refine((value) => [...value].length >= 1 && [...value].length <= 100, {
    error: 'must be 1 to 100 characters after trimming',
  })
  .refine((value) => !CONTROL_CHARACTER.test(value), {
    error: 'must not contain control characters',
  })
  .refine((value) => value.isWellFormed(), { error: 'must be valid Unicode' })
  // JSON Schema counts code points, as the check above does.
  .meta({ minLength: 1, maxLength: 100, description: 'Trimmed; no control characters' });

const countryId = z
  .int({ error: 'must be an integer' })
  .min(1, { error: 'must be an ISO 3166-1 numeric code from 1 to 999' })
  .max(999, { error: 'must be an ISO 3166-1 numeric code from 1 to 999' })
  .meta({ description: 'ISO 3166-1 numeric' });

/** A POSTed country: the table's insert schema with the contract's refinements; nothing else. */
export const countryInput = createInsertSchema(country, {
  two_letter: () => twoLetter,
  name: () => name,
  country_id: () => countryId,
})
  .strict()
  .meta({ id: 'CountryInput' });

/** A country as the API answers it. */
export const countryOutput = createSelectSchema(country, {
  two_letter: (schema) => schema.meta({ example: 'US' }),
  country_id: () => z.int().min(1).max(999),
}).meta({ id: 'Country' });

export const codeParams = z.strictObject({ two_letter: twoLetter });

const digits = (min: number, max: number) =>
  z.preprocess(
    (raw) => (typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : raw),
    z
      .int({ error: `must be a whole number from ${min} to ${max}` })
      .min(min, { error: `must be a whole number from ${min} to ${max}` })
      .max(max, { error: `must be a whole number from ${min} to ${max}` }),
  );

/** A whole number from a query parameter, in range. */
export const integerParameter = (min: number, max: number, description?: string) =>
  digits(min, max)
    .optional()
    .meta(description ? { description } : {});

// country_id is unique within 1–999, so 1000 rows is always the whole table.
export const pageQuery = z.strictObject({
  limit: integerParameter(1, 1000, 'Rows to return (default 1000: all)'),
  offset: integerParameter(0, 999, 'Rows to skip (default 0)'),
});

const lsn = z
  .string()
  .refine(isLsn, { error: 'must be a WAL position such as 0/3000148' })
  .toUpperCase()
  .meta({
    pattern: '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$',
    description:
      'Wait until the replica has replayed this WAL position (an X-Primary-LSN), then read',
  });

const consistency = {
  min_lsn: lsn.optional(),
  wait_ms: integerParameter(0, 10_000, 'How long to wait for min_lsn (default 2000)'),
};

/** Replica reads: optionally wait for min_lsn; wait_ms means nothing without it. */
const requireMinLsnForWait = <
  T extends { min_lsn?: string | undefined; wait_ms?: number | undefined },
>(
  query: z.ZodType<T>,
) =>
  query.refine((value) => value.wait_ms === undefined || value.min_lsn !== undefined, {
    path: ['wait_ms'],
    error: 'is only meaningful with min_lsn',
  });

export const replicaPageQuery = requireMinLsnForWait(
  z.strictObject({ ...pageQuery.shape, ...consistency }),
);
export const replicaOneQuery = requireMinLsnForWait(z.strictObject(consistency));

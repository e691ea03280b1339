import type { CountryRow } from '../db/countryQueries.js';
import type { FieldError } from './problem.js';
import { invalidRequest } from './problems.js';

const FIELDS = ['name', 'two_letter', 'country_id'] as const;
const CONTROL_CHARACTER = /\p{Cc}/u;

/** Parses a two-letter code from a path or body in any case; undefined if malformed. */
export function normaliseTwoLetter(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z]{2}$/.test(value) ? value.toUpperCase() : undefined;
}

export function parseCodeParameter(raw: string): string {
  const code = normaliseTwoLetter(raw);
  if (!code) {
    throw invalidRequest('a country code is two ASCII letters, such as US', [
      { field: 'two_letter', detail: 'must be two ASCII letters' },
    ]);
  }
  return code;
}

function validateName(value: unknown): string | FieldError {
  if (typeof value !== 'string') return { field: 'name', detail: 'must be a string' };
  const name = value.trim();
  const length = [...name].length;
  if (length < 1 || length > 100) {
    return { field: 'name', detail: 'must be 1 to 100 characters after trimming' };
  }
  if (CONTROL_CHARACTER.test(name)) {
    return { field: 'name', detail: 'must not contain control characters' };
  }
  if (!name.isWellFormed()) return { field: 'name', detail: 'must be valid Unicode' };
  return name;
}

function validateCountryId(value: unknown): number | FieldError {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return { field: 'country_id', detail: 'must be an integer' };
  }
  if (value < 1 || value > 999) {
    return { field: 'country_id', detail: 'must be an ISO 3166-1 numeric code from 1 to 999' };
  }
  return value;
}

/** Validates a POSTed country and returns it normalised, or throws a 400 listing every field. */
export function parseCountryInput(body: unknown): CountryRow {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('the body must be a JSON object with name, two_letter and country_id');
  }
  const record = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(record)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      errors.push({ field: key, detail: 'is not a known field' });
    }
  }
  for (const key of FIELDS) {
    if (!(key in record)) errors.push({ field: key, detail: 'is required' });
  }
  const name = 'name' in record ? validateName(record.name) : undefined;
  const twoLetter = 'two_letter' in record ? normaliseTwoLetter(record.two_letter) : undefined;
  const countryId = 'country_id' in record ? validateCountryId(record.country_id) : undefined;
  if (typeof name === 'object') errors.push(name);
  if ('two_letter' in record && !twoLetter) {
    errors.push({ field: 'two_letter', detail: 'must be two ASCII letters' });
  }
  if (typeof countryId === 'object') errors.push(countryId);

  if (
    errors.length > 0 ||
    typeof name !== 'string' ||
    !twoLetter ||
    typeof countryId !== 'number'
  ) {
    throw invalidRequest('the country is not valid', errors);
  }
  return { name, two_letter: twoLetter, country_id: countryId };
}

import { DatabaseUnavailableError } from '../db/errors.js';
import { driverErrorOf } from '../db/sqlState.js';
import { HttpProblem } from './problem.js';
import { conflict, internalError, invalidRequest, serviceUnavailable } from './problems.js';

// Which request field a unique or check constraint guards.
const CONSTRAINT_FIELDS: Record<string, string> = {
  country_pkey: 'two_letter',
  country_country_id_key: 'country_id',
  country_two_letter_format: 'two_letter',
  country_id_range: 'country_id',
  country_name_length: 'name',
  country_name_no_control_chars: 'name',
};

/**
 * The one place that turns any error into the problem a client sees.
 * Returns `logged: true` for errors that are bugs, not client or host trouble.
 */
export function errorToProblem(error: unknown): { problem: HttpProblem; unexpected: boolean } {
  if (error instanceof HttpProblem) return { problem: error, unexpected: false };
  if (error instanceof DatabaseUnavailableError) {
    return { problem: serviceUnavailable(error.message, { host: error.role }), unexpected: false };
  }
  const driverError = driverErrorOf(error);
  const field = CONSTRAINT_FIELDS[driverError?.constraint_name ?? ''] ?? 'body';
  switch (driverError?.code) {
    case '23505':
      return {
        problem: conflict(`a country with this ${field} already exists`, field),
        unexpected: false,
      };
    case '23514':
    case '23502':
    case '22001':
    case '22003':
    case '22021':
    case '22P02':
    case '22P05':
      return {
        problem: invalidRequest('the database rejected the value', [
          { field, detail: 'rejected by a database constraint' },
        ]),
        unexpected: false,
      };
  }
  return { problem: internalError(), unexpected: true };
}

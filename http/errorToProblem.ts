import { DatabaseUnavailableError } from '../db/errors.js';
import { CONSTRAINT_FIELDS } from '../db/schema.js';
import { driverErrorOf } from '../db/sqlState.js';
import { HttpProblem } from './problem.js';
import { conflict, internalError, invalidRequest, serviceUnavailable } from './problems.js';

/**
 * The one place that turns any error into the problem a client sees.
 * `unexpected` marks errors that are bugs, not client or host trouble: they are logged.
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

import { DatabaseUnavailableError } from '../db/errors.js';
import { driverErrorOf } from '../db/sqlState.js';
import { HttpProblem } from './problem.js';
import { conflict, internalError, invalidRequest, serviceUnavailable } from './problems.js';

/**
 * The one place that turns any error into the problem a client sees.
 * `unexpected` marks errors that are bugs, not client or host trouble: they
 * are logged. `constraints` says what the rows are (`country`) and which
 * request field each database constraint is about: functions/ knows the
 * tables; this layer does not.
 */
export interface Constraints {
  subject: string;
  fields: Readonly<Record<string, string>>;
}

export function errorToProblem(
  error: unknown,
  constraints: Constraints = { subject: 'row', fields: {} },
): { problem: HttpProblem; unexpected: boolean } {
  if (error instanceof HttpProblem) return { problem: error, unexpected: false };
  if (error instanceof DatabaseUnavailableError) {
    return { problem: serviceUnavailable(error.message, { host: error.role }), unexpected: false };
  }
  const driverError = driverErrorOf(error);
  const constraint = driverError?.constraint_name;
  const field =
    (constraint &&
      Object.hasOwn(constraints.fields, constraint) &&
      constraints.fields[constraint]) ||
    'body';
  switch (driverError?.code) {
    case '23505':
      return {
        problem: conflict(constraints.subject, field),
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

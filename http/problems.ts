import type { CheckReport, Failure, HealthReport } from '../replication/reportSchema.js';
import { type FieldError, HttpProblem } from './problem.js';

// Every problem the service answers, by type; errorToProblem.ts maps errors
// onto them.

export const MAX_BODY_BYTES = 16 * 1024;

export const notFound = (detail: string) =>
  new HttpProblem({ status: 404, type: 'not-found', title: 'Not Found', detail });

export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  new HttpProblem({
    status: 405,
    type: 'method-not-allowed',
    title: 'Method Not Allowed',
    detail: `${method} is not allowed here; use ${allowed.join(', ')}`,
    headers: { Allow: allowed.join(', ') },
  });

export const unauthorized = () =>
  new HttpProblem({
    status: 401,
    type: 'unauthorized',
    title: 'Unauthorized',
    detail: 'valid HTTP Basic credentials are required',
    headers: { 'WWW-Authenticate': 'Basic realm="pg-replica-functions", charset="UTF-8"' },
  });

export const invalidRequest = (detail: string, errors?: FieldError[]) =>
  new HttpProblem({
    status: 400,
    type: 'invalid-request',
    title: 'Bad Request',
    detail,
    ...(errors ? { errors } : {}),
  });

export const payloadTooLarge = () =>
  new HttpProblem({
    status: 413,
    type: 'payload-too-large',
    title: 'Content Too Large',
    detail: `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
    // The unread rest of the body must not be parsed as a next request.
    headers: { Connection: 'close' },
  });

export const unsupportedMediaType = (detail: string) =>
  new HttpProblem({
    status: 415,
    type: 'unsupported-media-type',
    title: 'Unsupported Media Type',
    detail,
    headers: { Accept: 'application/json' },
  });

export const conflict = (detail: string, field: string) =>
  new HttpProblem({
    status: 409,
    type: 'conflict',
    title: 'Conflict',
    detail,
    errors: [{ field, detail }],
  });

export const serviceUnavailable = (detail: string, extensions?: Record<string, unknown>) =>
  new HttpProblem({
    status: 503,
    type: 'database-unavailable',
    title: 'Service Unavailable',
    detail,
    headers: { 'Retry-After': '1' },
    ...(extensions ? { extensions } : {}),
  });

export const internalError = () =>
  new HttpProblem({
    status: 500,
    type: 'internal-error',
    title: 'Internal Server Error',
    detail: 'the request failed unexpectedly; the error has been logged',
  });

export const replicaBehind = (minLsn: string, waitMs: number, replicaLsn: string | null) =>
  new HttpProblem({
    status: 503,
    type: 'replica-behind',
    title: 'Service Unavailable',
    detail: `the replica had not replayed ${minLsn} after ${waitMs} ms`,
    headers: { 'Retry-After': '1' },
    extensions: { min_lsn: minLsn, replica_lsn: replicaLsn },
  });

export const windowsBusy = (detail: string) =>
  new HttpProblem({
    status: 503,
    type: 'windows-busy',
    title: 'Service Unavailable',
    detail,
    headers: { 'Retry-After': '10' },
  });

/**
 * A failed replication check or health: a 503 named after the most
 * fundamental failure (its type is the failure's), listing all of them and
 * the figures read.
 */
export function replicationFailed(
  title: string,
  failures: Failure[],
  report: CheckReport | HealthReport,
): HttpProblem {
  return new HttpProblem({
    status: 503,
    type: failures[0]?.type ?? 'replication-unhealthy',
    title,
    detail: failures.map((failure) => failure.detail).join('; '),
    headers: { 'Retry-After': '10' },
    extensions: { failures, ...report },
  });
}

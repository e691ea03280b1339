import * as v from 'valibot';
import type { CheckReport, Failure, HealthReport } from '../replication/reportSchema.js';
import { type FieldError, HttpProblem, PROBLEM_TYPE_PREFIX, type ProblemInit } from './problem.js';

// Every problem the service answers, by type; errorToProblem.ts maps errors
// onto them.

export const MAX_BODY_BYTES = 16 * 1024;

/** The title of a problem is its status's reason phrase (RFC 9110). */
const TITLES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const;

type Members = Omit<ProblemInit, 'status' | 'type' | 'title' | 'detail'>;

const problem = (status: keyof typeof TITLES, type: string, detail: string, members?: Members) =>
  new HttpProblem({ status, type, title: TITLES[status], detail, ...members });

export const notFound = (detail: string) => problem(404, 'not-found', detail);

export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  problem(405, 'method-not-allowed', `${method} is not allowed here; use ${allowed.join(', ')}`, {
    headers: { Allow: allowed.join(', ') },
  });

export const unauthorized = () =>
  problem(401, 'unauthorized', 'valid HTTP Basic credentials are required', {
    headers: { 'WWW-Authenticate': 'Basic realm="pg-replica-functions", charset="UTF-8"' },
  });

export const invalidRequest = (detail: string, errors?: FieldError[]) =>
  problem(400, 'invalid-request', detail, errors ? { errors } : {});

// The unread rest of the body must not be parsed as a next request.
export const payloadTooLarge = () =>
  problem(413, 'payload-too-large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`, {
    headers: { Connection: 'close' },
  });

export const unsupportedMediaType = (detail: string) =>
  problem(415, 'unsupported-media-type', detail, { headers: { Accept: 'application/json' } });

/** A `subject` (a country) whose `field` has a value another one already holds. */
export const conflict = (subject: string, field: string) => {
  const detail = `a ${subject} with this ${field} already exists`;
  return problem(409, 'conflict', detail, { errors: [{ field, detail }] });
};

export const serviceUnavailable = (detail: string, extensions?: Record<string, unknown>) =>
  problem(503, 'database-unavailable', detail, {
    headers: { 'Retry-After': '1' },
    ...(extensions ? { extensions } : {}),
  });

export const internalError = () =>
  problem(500, 'internal-error', 'the request failed unexpectedly; the error has been logged');

export const replicaBehind = (minLsn: string, waitMs: number, replicaLsn: string | null) =>
  problem(503, 'replica-behind', `the replica had not replayed ${minLsn} after ${waitMs} ms`, {
    headers: { 'Retry-After': '1' },
    extensions: { min_lsn: minLsn, replica_lsn: replicaLsn },
  });

const WINDOWS_BUSY = 'windows-busy';

export const windowsBusy = (detail: string) =>
  problem(503, WINDOWS_BUSY, detail, { headers: { 'Retry-After': '10' } });

/** The windows-busy answer's body, for the OpenAPI document. */
export const windowsBusySchema = v.strictObject({
  type: v.literal(`${PROBLEM_TYPE_PREFIX}${WINDOWS_BUSY}`),
  title: v.literal(TITLES[503]),
  status: v.literal(503),
  detail: v.string(),
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

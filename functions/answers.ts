import type { Answer } from '../http/route.js';

// Answers many operations share, as the OpenAPI document describes them.

export const badRequest: Answer = {
  description: 'Malformed input; `errors` lists the fields',
  problem: true,
};
export const unauthorized: Answer = {
  description: 'Missing or wrong Basic credentials (with WWW-Authenticate)',
  problem: true,
  headers: { 'WWW-Authenticate': 'Basic realm="pg-replica-functions"' },
};
export const notFound: Answer = { description: 'No such country', problem: true };
export const unavailable: Answer = {
  description: 'The database host is down, frozen or refusing; retry after Retry-After',
  problem: true,
  headers: { 'Retry-After': 'Seconds to wait' },
};

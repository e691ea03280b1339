import { HttpProblem } from '../http/problem.js';
import type { CheckReport, Failure, HealthReport } from '../replication/reportSchema.js';

/** A 503 named after the most fundamental failure, listing all of them and the figures read. */
export function replicationProblem(
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

import type { ServerResponse } from 'node:http';

/** One field that failed validation, in the `errors` member of a problem. */
export interface FieldError {
  field: string;
  detail: string;
}

export interface ProblemInit {
  status: number;
  /** Short slug; the problem `type` is a URN built from it and listed in docs/api.md. */
  type: string;
  title: string;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members (e.g. the replica's current LSN). Never secrets or SQL. */
  extensions?: Record<string, unknown>;
}

export const PROBLEM_TYPE_PREFIX = 'urn:pg-replica-functions:problem:';

/** An RFC 9457 problem that a handler throws and the router sends. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly init: ProblemInit;

  constructor(init: ProblemInit) {
    super(init.detail);
    this.status = init.status;
    this.init = init;
  }

  toJSON(): Record<string, unknown> {
    const { type, title, status, detail, errors, extensions } = this.init;
    // RFC 9457's own members win over an extension of the same name (a
    // replication report's `status: "failing"` must not replace the 503).
    return {
      ...extensions,
      type: PROBLEM_TYPE_PREFIX + type,
      title,
      status,
      detail,
      ...(errors ? { errors } : {}),
    };
  }
}

export function sendProblem(res: ServerResponse, problem: HttpProblem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem);
  res.statusCode = problem.status;
  for (const [name, value] of Object.entries(problem.init.headers ?? {}))
    res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/problem+json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

import type { RequestWithBody } from './body.js';
import type { Schema } from './validation.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface Reply {
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, with its media type (the page, its assets, metrics). */
  content?: { type: string; data: string | Buffer };
  headers?: Record<string, string>;
}

/** One documented answer of an operation: what the OpenAPI document says of it. */
export interface Answer {
  description: string;
  /** The JSON body's schema; a problem+json body when `problem` is set. */
  schema?: Schema;
  problem?: boolean;
  /** Header name → description. */
  headers?: Record<string, string>;
}

export interface Operation<Params = unknown, Query = unknown, Body = unknown> {
  summary: string;
  description?: string;
  /** Path parameters, decoded, by name as in the route's path. */
  params?: Schema<Params>;
  /** Unknown or repeated parameters are refused (400), so a typo never widens a query. */
  query?: Schema<Query>;
  /** A JSON body (application/json, UTF-8). */
  body?: Schema<Body>;
  /** Every status it answers, documented: test/openapi.test.ts elicits each one. */
  answers: Record<number, Answer>;
  handle(input: {
    params: Params;
    query: Query;
    body: Body;
    req: RequestWithBody;
  }): Promise<Reply> | Reply;
}

export interface Route {
  /** OpenAPI path template, such as /country/{two_letter}. */
  path: string;
  /** False only for the public routes (/status, /openapi.json) and IAM-guarded targets. */
  auth: boolean;
  operations: Partial<Record<Method, Operation>>;
}

/** Types an operation from its schemas; the router runs it without knowing them. */
export function operation<Params = undefined, Query = undefined, Body = undefined>(
  definition: Operation<Params, Query, Body>,
): Operation {
  return definition as Operation;
}

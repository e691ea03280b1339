import type { ServerResponse } from 'node:http';
import type { HttpFunction } from '@google-cloud/functions-framework';
import * as v from 'valibot';
import { describeError, type Logger } from '../log/logger.js';
import { traceFields } from '../log/trace.js';
import { type AuthFailure, type CredentialSource, createAuthoriser } from './basicAuth.js';
import { parseJsonBody, type RequestWithBody } from './body.js';
import { type Constraints, errorToProblem } from './errorToProblem.js';
import { sendProblem } from './problem.js';
import {
  invalidRequest,
  methodNotAllowed,
  notFound,
  unauthorized,
  unsupportedMediaType,
} from './problems.js';
import type { Method, Operation, Reply, Route } from './route.js';
import { prefixOf, throttledLog } from './throttledLog.js';
import { queryObject, validate } from './validation.js';

export interface RouterOptions {
  credentials: CredentialSource | undefined;
  log: Logger;
  /**
   * Told of every answer: the route's path template or UNMATCHED_ROUTE (never
   * the raw path), the method if the route allows it or OTHER_METHOD, the
   * status, the time. Every value comes from a fixed set.
   */
  observe?: (route: string, method: string, status: number, seconds: number) => void;
  /** Told of every request refused for its Basic credentials (ServiceDependencies' metrics). */
  metrics?: { observeAuthFailure(reason: AuthFailure): void };
  /** What the rows are, and the request field each database constraint is about (a 400 or 409 names it). */
  constraints?: Constraints;
}

/** The route label of a path no route matches. */
const UNMATCHED_ROUTE = 'unmatched';
/** The method label of a method outside the route's Allow (or, unmatched, outside every route's). */
const OTHER_METHOD = 'other';
/** At most one log line about failed Basic auth per this long. */
const AUTH_FAILURE_LOG_INTERVAL_MS = 60_000;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
  allowed: string[];
  /** The same, for the metric's method label. */
  allowedSet: ReadonlySet<string>;
}

// An operation that declares no query takes none.
const NO_QUERY = v.strictObject({});

const noCredentials: CredentialSource = () => [];

// /country/{two_letter} → ^/country/([^/]+)$, capturing two_letter.
function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const methods = Object.keys(route.operations);
  const allowed = methods.includes('GET')
    ? ['GET', 'HEAD', ...methods.filter((m) => m !== 'GET')]
    : methods;
  return {
    route,
    pattern: new RegExp(`^${source}$`),
    names,
    allowed,
    allowedSet: new Set(allowed),
  };
}

function sendReply(res: ServerResponse, reply: Reply, authenticated: boolean): void {
  res.statusCode = reply.status;
  // What took credentials to see is kept by no cache, unless the route says otherwise.
  if (authenticated) res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.content) {
    res.setHeader('Content-Type', reply.content.type);
    res.setHeader('Content-Length', Buffer.byteLength(reply.content.data));
    res.end(reply.content.data);
    return;
  }
  if (reply.body === undefined) {
    res.end();
    return;
  }
  const body = JSON.stringify(reply.body);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

// Split by hand, not parsed as a URL: '//x' is a path here, not a host, and
// this runs on every request.
function splitTarget(target: string): { path: string; query: URLSearchParams } {
  const question = target.indexOf('?');
  if (question < 0) return { path: target, query: new URLSearchParams() };
  return {
    path: target.slice(0, question),
    query: new URLSearchParams(target.slice(question + 1)),
  };
}

function pathParams(match: RegExpExecArray, names: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  try {
    names.forEach((name, index) => {
      params[name] = decodeURIComponent(match[index + 1] ?? '');
    });
  } catch {
    throw invalidRequest('the path is not validly percent-encoded');
  }
  return params;
}

// The enctypes an HTML form can send (and a cross-site fetch without a CORS preflight).
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * A POST that takes no body still refuses a body type other than JSON: a
 * cross-site HTML form always sends one of FORM_TYPES, so it cannot start
 * the POST with a browser's remembered Basic credentials. No Content-Type at
 * all is accepted (curl, Cloud Scheduler).
 */
function refuseFormPost(req: RequestWithBody, operation: Operation): void {
  if (req.method !== 'POST' || operation.body) return;
  const contentType = req.headers['content-type'];
  if (contentType === undefined) return;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json') return;
  throw unsupportedMediaType(
    FORM_TYPES.includes(mediaType)
      ? `${mediaType} is not accepted here (a form cannot start this); send no body, or application/json`
      : 'send no body, or application/json',
  );
}

/** Validates what the operation declares, then runs it with the parsed values. */
function run(
  operation: Operation,
  req: RequestWithBody,
  params: Record<string, string>,
  query: URLSearchParams,
) {
  refuseFormPost(req, operation);
  const input = {
    params: operation.params
      ? validate(operation.params, params, 'the path is not valid')
      : undefined,
    // Most requests have no query: nothing to check unless the operation takes one.
    query:
      operation.query === undefined && query.size === 0
        ? undefined
        : validate(
            operation.query ?? NO_QUERY,
            queryObject(query),
            'the query parameters are not valid',
            'is not a known query parameter',
          ),
    body: operation.body
      ? validate(operation.body, parseJsonBody(req), 'the body is not valid')
      : undefined,
    req,
  };
  return operation.handle(input);
}

/**
 * One Functions Framework HTTP function from a route table: 404 for unknown
 * paths, 401 before anything else on guarded routes, 405 with Allow for
 * other methods, HEAD wherever GET, parameters and bodies validated by the
 * operation's schemas, and every error as a problem.
 */
export function createRouter(routes: Route[], options: RouterOptions): HttpFunction {
  const compiled = routes.map(compile);
  const anyAllowed: ReadonlySet<string> = new Set(
    compiled.flatMap((candidate) => candidate.allowed),
  );
  const authFailure = createAuthoriser(options.credentials ?? noCredentials);
  // Never the user, the password or the header: the reason, the route, the method.
  const logAuthFailure = throttledLog(
    options.log,
    'WARNING',
    'Basic auth failed',
    AUTH_FAILURE_LOG_INTERVAL_MS,
  );
  return async (req, res) => {
    const started = performance.now();
    let template = UNMATCHED_ROUTE;
    let allowed = anyAllowed;
    try {
      const { path, query } = splitTarget(req.originalUrl ?? req.url ?? '/');
      let match: RegExpExecArray | null = null;
      const found = compiled.find((candidate) => {
        match = candidate.pattern.exec(path);
        return match !== null;
      });
      if (!found || !match) throw notFound(`no route for ${path}`);
      template = found.route.path;
      allowed = found.allowedSet;
      if (found.route.auth) {
        const failure = authFailure(req);
        if (failure) {
          options.metrics?.observeAuthFailure(failure);
          logAuthFailure({ reason: failure, route: template, method: req.method });
          throw unauthorized();
        }
      }
      const method = (req.method === 'HEAD' ? 'GET' : req.method) as Method;
      const operation = found.route.operations[method];
      if (!operation) throw methodNotAllowed(req.method ?? '', found.allowed);
      sendReply(
        res,
        await run(operation, req, pathParams(match, found.names), query),
        found.route.auth,
      );
    } catch (error) {
      const { problem, unexpected } = errorToProblem(error, options.constraints);
      if (unexpected) {
        options.log('ERROR', 'request failed unexpectedly', {
          method: req.method,
          path: prefixOf(req.path),
          ...describeError(error),
          ...traceFields(req.headers),
        });
      }
      sendProblem(res, problem);
    } finally {
      options.observe?.(
        template,
        req.method && allowed.has(req.method) ? req.method : OTHER_METHOD,
        res.statusCode,
        (performance.now() - started) / 1000,
      );
    }
  };
}

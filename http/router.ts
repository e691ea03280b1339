import type { ServerResponse } from 'node:http';
import type { HttpFunction } from '@google-cloud/functions-framework';
import { describeError, type Logger } from '../server/log.js';
import { type CredentialSource, createAuthoriser } from './basicAuth.js';
import type { RequestWithBody } from './body.js';
import { errorToProblem } from './errorToProblem.js';
import { sendProblem } from './problem.js';
import { invalidRequest, methodNotAllowed, notFound, unauthorized } from './problems.js';

export interface RequestContext {
  req: RequestWithBody;
  /** Decoded capture groups of the route's pattern. */
  params: string[];
  query: URLSearchParams;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Action = (context: RequestContext) => Promise<Reply> | Reply;

type Method = 'GET' | 'POST' | 'DELETE';

export interface Route {
  /** Matched against the whole path; capture groups become `params`. */
  pattern: RegExp;
  /** False only for the public routes (/status, /openapi.json) and IAM-guarded targets. */
  auth: boolean;
  methods: Partial<Record<Method, Action>>;
}

export interface RouterOptions {
  credentials: CredentialSource | undefined;
  log: Logger;
}

const noCredentials: CredentialSource = () => [];

function allowedMethods(route: Route): string[] {
  const methods = Object.keys(route.methods);
  return methods.includes('GET') ? ['GET', 'HEAD', ...methods.filter((m) => m !== 'GET')] : methods;
}

function sendReply(res: ServerResponse, reply: Reply): void {
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
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
function parseTarget(target: string): { pathname: string; searchParams: URLSearchParams } {
  const question = target.indexOf('?');
  if (question < 0) return { pathname: target, searchParams: new URLSearchParams() };
  return {
    pathname: target.slice(0, question),
    searchParams: new URLSearchParams(target.slice(question + 1)),
  };
}

function decodeParams(match: RegExpExecArray): string[] {
  try {
    return match.slice(1).map((part) => decodeURIComponent(part ?? ''));
  } catch {
    throw invalidRequest('the path is not validly percent-encoded');
  }
}

/**
 * Builds one Functions Framework HTTP function from a route table: 404 for
 * unknown paths, 401 before anything else on guarded routes, 405 with Allow
 * for other methods, HEAD wherever GET, and every error as a problem.
 */
export function createRouter(routes: Route[], options: RouterOptions): HttpFunction {
  const isAuthorised = createAuthoriser(options.credentials ?? noCredentials);
  return async (req, res) => {
    try {
      const url = parseTarget(req.originalUrl ?? req.url ?? '/');
      let match: RegExpExecArray | null = null;
      const route = routes.find((candidate) => {
        match = candidate.pattern.exec(url.pathname);
        return match !== null;
      });
      if (!route || !match) throw notFound(`no route for ${url.pathname}`);
      if (route.auth && !isAuthorised(req)) {
        throw unauthorized();
      }
      const method = req.method === 'HEAD' ? 'GET' : (req.method as Method);
      const action = route.methods[method];
      if (!action) throw methodNotAllowed(req.method ?? '', allowedMethods(route));
      const reply = await action({ req, params: decodeParams(match), query: url.searchParams });
      sendReply(res, reply);
    } catch (error) {
      const { problem, unexpected } = errorToProblem(error);
      if (unexpected) {
        options.log('ERROR', 'request failed unexpectedly', {
          method: req.method,
          path: req.path,
          ...describeError(error),
        });
      }
      sendProblem(res, problem);
    }
  };
}

// The one place that knows how the Functions Framework is served here. Its
// CLI answers SIGTERM by failing the open response and calling
// process.exit() at once, so the registered functions are served from our own
// entry point instead: getTestServer(target) builds the framework's Express
// app (a beta testing API) without listening and without signal handlers; its
// app is the server's one 'request' listener. This file relies on that, on the
// app taking more middleware (`use`), and on body-parser skipping a request
// whose body was already read (it checks onFinished). test/frameworkAdapter.test.ts
// fails if an upgrade changes any of it.

import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { readBoundedBody } from '../http/body.js';
import { errorToProblem } from '../http/errorToProblem.js';
import { HttpProblem, sendProblem } from '../http/problem.js';
import { invalidRequest, MAX_BODY_BYTES, notFound, payloadTooLarge } from '../http/problems.js';
import { prefixOf, throttledLog } from '../http/throttledLog.js';
import type { Logger } from '../log/logger.js';

// Required, not imported: an ES import of node:http builds its ES facade,
// which reads every export, and Node 24's lazy getters behind them load
// undici (the fetch implementation) at start-up, which nothing here uses.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

// The framework's app answers these itself with an empty 404 (matched as
// Express does: any case, and any path below them).
const FRAMEWORK_IGNORED = /^\/(favicon\.ico|robots\.txt)(\/|$)/i;

type ExpressApp = RequestListener & {
  use(handler: (error: unknown, req: IncomingMessage, res: unknown, next: unknown) => void): void;
};

// On every answer, whoever writes it: no browser guesses a type other than
// the one sent (a problem's text is never run as a script or page).
const noSniff = (res: ServerResponse) => res.setHeader('X-Content-Type-Options', 'nosniff');

// Errors the framework raises come before auth (a malformed percent-encoding
// in the path, for one): anyone can cause them, so they are logged as one
// short line, at most one per this long, without the stack (install paths)
// or the error's message (which quotes the path), and with a prefix of the path.
const PRE_AUTH_ERROR_LOG_INTERVAL_MS = 10_000;

/** The error's class and HTTP status, never its message: both from fixed sets. */
function errorKind(error: unknown): { error: string; status?: number } {
  if (!(error instanceof Error)) return { error: typeof error };
  const status = (error as { status?: unknown }).status;
  return {
    error: prefixOf(error.name),
    ...(typeof status === 'number' ? { status } : {}),
  };
}

/**
 * Serves a registered function through the framework's Express app, without
 * the framework's CLI (which exits on SIGTERM without draining). Before the
 * app sees a request, the body is read here with a 16 KiB bound, so the
 * framework's parsers (1 GB limit, HTML error pages, U+FFFD for invalid UTF-8)
 * skip it; handlers parse `rawBody` themselves.
 */
export function createHttpServer(target: string, log: Logger): Server {
  const app = getTestServer(target).listeners('request')[0] as ExpressApp;
  const logPreAuthError = throttledLog(
    log,
    'WARNING',
    'request refused before routing',
    PRE_AUTH_ERROR_LOG_INTERVAL_MS,
  );
  // Anything the framework still raises becomes a problem, never its HTML page.
  app.use((error, req, res, _next) => {
    logPreAuthError({
      ...errorKind(error),
      method: req.method,
      path: prefixOf(req.url?.split('?')[0]),
    });
    const problem =
      error instanceof HttpProblem ? error : invalidRequest('the request could not be processed');
    sendProblem(res as Parameters<typeof sendProblem>[0], problem);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    noSniff(res);
    const path = (req.url ?? '').split('?')[0] ?? '';
    // `OPTIONS *` and absolute-form targets would reach Express's HTML 404.
    if (!path.startsWith('/') || FRAMEWORK_IGNORED.test(path)) {
      sendProblem(res, notFound(`no route for ${path.slice(0, 200)}`));
      return;
    }
    // No body announced (most GETs): nothing to read, no event-loop turn to wait.
    if (
      req.headers['content-length'] === undefined &&
      req.headers['transfer-encoding'] === undefined
    ) {
      app(req, res);
      return;
    }
    try {
      (req as { rawBody?: Buffer }).rawBody = await readBoundedBody(req);
    } catch (error) {
      sendProblem(res, errorToProblem(error).problem);
      return;
    }
    app(req, res);
  };
  const server = createServer(handle);
  // Expect: 100-continue: refuse an oversized body before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      noSniff(res);
      sendProblem(res, payloadTooLarge());
      return;
    }
    res.writeContinue();
    void handle(req, res);
  });

  // Requests the HTTP parser cannot read get a problem too, not Node's bare text.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(invalidRequest('the HTTP request is malformed'));
    socket.end(
      'HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\n' +
        'X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

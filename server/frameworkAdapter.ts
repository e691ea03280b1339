// The one place that knows how the Functions Framework is served here. Its
// CLI answers SIGTERM by failing the open response and calling
// process.exit() at once, so the registered functions are served from our own
// entry point instead: getTestServer(target) builds the framework's Express
// app (a beta testing API) without listening and without signal handlers; its
// app is the server's one 'request' listener. This file relies on that, on the
// app taking more middleware (`use`), and on body-parser skipping a request
// whose body was already read (it checks onFinished). test/frameworkAdapter.test.ts
// fails if an upgrade changes any of it.

import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { readBoundedBody } from '../http/body.js';
import { errorToProblem } from '../http/errorToProblem.js';
import { HttpProblem, sendProblem } from '../http/problem.js';
import { invalidRequest, MAX_BODY_BYTES, notFound, payloadTooLarge } from '../http/problems.js';
import { describeError, type Logger } from '../log/logger.js';

// The framework's app answers these itself with an empty 404 (matched as
// Express does: any case, and any path below them).
const FRAMEWORK_IGNORED = /^\/(favicon\.ico|robots\.txt)(\/|$)/i;

type ExpressApp = RequestListener & {
  use(handler: (error: unknown, req: unknown, res: unknown, next: unknown) => void): void;
};

/**
 * Serves a registered function through the framework's Express app, without
 * the framework's CLI (which exits on SIGTERM without draining). Before the
 * app sees a request, the body is read here with a 16 KiB bound, so the
 * framework's parsers (1 GB limit, HTML error pages, U+FFFD for invalid UTF-8)
 * skip it; handlers parse `rawBody` themselves.
 */
export function createHttpServer(target: string, log: Logger): Server {
  const app = getTestServer(target).listeners('request')[0] as ExpressApp;
  // Anything the framework still raises becomes a problem, never its HTML page.
  app.use((error, _req, res, _next) => {
    log('WARNING', 'framework error', describeError(error));
    const problem =
      error instanceof HttpProblem ? error : invalidRequest('the request could not be processed');
    sendProblem(res as Parameters<typeof sendProblem>[0], problem);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
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
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

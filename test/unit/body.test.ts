import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonBody, type RequestWithBody, readBoundedBody } from '../../http/body.js';
import { HttpProblem } from '../../http/problem.js';
import { MAX_BODY_BYTES } from '../../http/problems.js';

// The body limit at its edge, over real HTTP: readBoundedBody needs a real
// request stream (Content-Length declared, or chunked and counted as read).

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunked = req.headers['transfer-encoding'] === 'chunked';
    readBoundedBody(req).then(
      (body) => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ bytes: body.length, allA: body.every((b) => b === 0x61), chunked }),
        );
      },
      (error: unknown) => {
        if (!(error instanceof HttpProblem)) {
          res.writeHead(500).end(String(error));
          return;
        }
        res.writeHead(error.status, { ...error.init.headers });
        // Whether any of the body was read (a data listener attached) before it was refused.
        res.end(JSON.stringify({ ...error.toJSON(), read: req.readableFlowing !== null, chunked }));
        // Drain the rest, so that closing does not reset the connection under the answer.
        req.resume();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** POST `size` bytes, declared by Content-Length or sent chunked in pieces of `chunk` bytes. */
function post(size: number, mode: 'content-length' | 'chunked', chunk = 1000) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent: false,
        headers: mode === 'content-length' ? { 'content-length': size } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (data: Buffer) => chunks.push(data));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    // The server may answer 413 and close before the whole body is written.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    if (mode === 'chunked') {
      expect(req.getHeader('content-length')).toBeUndefined();
      for (let sent = 0; sent < size; sent += chunk)
        req.write('a'.repeat(Math.min(chunk, size - sent)));
      req.end();
    } else {
      req.end('a'.repeat(size));
    }
  });
}

describe('readBoundedBody at the limit', () => {
  it('the limit is 16 KiB', () => {
    expect(MAX_BODY_BYTES).toBe(16_384);
  });

  it.each([
    {
      name: 'exactly 16,384 bytes with Content-Length: accepted',
      size: 16_384,
      mode: 'content-length',
      expectedStatus: 200,
    },
    {
      name: '16,385 bytes with Content-Length: refused',
      size: 16_385,
      mode: 'content-length',
      expectedStatus: 413,
    },
    {
      name: 'exactly 16,384 bytes chunked: accepted',
      size: 16_384,
      mode: 'chunked',
      expectedStatus: 200,
    },
    { name: '16,385 bytes chunked: refused', size: 16_385, mode: 'chunked', expectedStatus: 413 },
    {
      name: 'exactly 16,384 bytes in one chunk: accepted',
      size: 16_384,
      mode: 'chunked',
      chunk: 16_384,
      expectedStatus: 200,
    },
    {
      name: '16,385 bytes in one chunk: refused',
      size: 16_385,
      mode: 'chunked',
      chunk: 16_385,
      expectedStatus: 413,
    },
    {
      name: '16,385 bytes, the last byte alone: refused',
      size: 16_385,
      mode: 'chunked',
      chunk: 16_384,
      expectedStatus: 413,
    },
    { name: 'an empty body: accepted', size: 0, mode: 'content-length', expectedStatus: 200 },
  ] as const)('$name', async ({ size, mode, expectedStatus, ...rest }) => {
    const chunk = 'chunk' in rest ? rest.chunk : undefined;
    const response = await post(size, mode, chunk);
    expect(response.status).toBe(expectedStatus);
    const chunked = mode === 'chunked';
    if (expectedStatus === 200) {
      expect(JSON.parse(response.body)).toEqual({ bytes: size, allA: true, chunked });
    } else {
      expect(JSON.parse(response.body)).toMatchObject({
        type: 'urn:pg-replica-functions:problem:payload-too-large',
        status: 413,
        detail: 'request bodies are limited to 16384 bytes',
        chunked,
        // By Content-Length before any byte is read; chunked, once counted.
        read: chunked,
      });
    }
  });
});

describe('parseJsonBody', () => {
  const req = (headers: Record<string, string>, body?: Buffer | string): RequestWithBody =>
    ({
      headers,
      rawBody: body === undefined ? undefined : Buffer.from(body),
    }) as unknown as IncomingMessage & { rawBody?: Buffer };
  const json = { 'content-type': 'application/json' };

  it.each([
    { name: 'a JSON object', headers: json, body: '{"a":1}', expected: { a: 1 } },
    {
      name: 'a media type in other case, with parameters',
      headers: { 'content-type': 'Application/JSON ; charset="UTF-8"' },
      body: '[1]',
      expected: [1],
    },
    {
      name: 'charset utf8',
      headers: { 'content-type': 'application/json;charset=utf8' },
      body: '"é"',
      expected: 'é',
    },
    {
      name: 'identity encoding',
      headers: { ...json, 'content-encoding': 'identity' },
      body: 'null',
      expected: null,
    },
  ])('$name: parsed', ({ headers, body, expected }) => {
    expect(parseJsonBody(req(headers, body))).toEqual(expected);
  });

  it.each([
    {
      name: 'no Content-Type',
      headers: {},
      body: '{}',
      expectedStatus: 415,
      detail: 'send Content-Type: application/json',
    },
    {
      name: 'text/plain',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
      expectedStatus: 415,
      detail: 'text/plain is not accepted; send application/json',
    },
    {
      name: 'a JSON suffix type',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: '{}',
      expectedStatus: 415,
      detail: 'application/merge-patch+json is not accepted; send application/json',
    },
    {
      name: 'charset latin1',
      headers: { 'content-type': 'application/json; charset=ISO-8859-1' },
      body: '{}',
      expectedStatus: 415,
      detail: 'charset iso-8859-1 is not accepted; send UTF-8',
    },
    {
      name: 'gzip',
      headers: { ...json, 'content-encoding': 'gzip' },
      body: '{}',
      expectedStatus: 415,
      detail: 'Content-Encoding gzip is not accepted; send the body uncompressed',
    },
    {
      name: 'an empty body',
      headers: json,
      body: '',
      expectedStatus: 400,
      detail: 'the request body is empty; send a JSON object',
    },
    {
      name: 'no body read',
      headers: json,
      body: undefined,
      expectedStatus: 400,
      detail: 'the request body is empty; send a JSON object',
    },
    {
      name: 'invalid UTF-8 (never U+FFFD)',
      headers: json,
      body: Buffer.from([0x22, 0xff, 0x22]),
      expectedStatus: 400,
      detail: 'the request body is not valid UTF-8',
    },
    {
      name: 'not JSON',
      headers: json,
      body: '{"a":',
      expectedStatus: 400,
      detail: expect.stringMatching(/^the request body is not valid JSON: /),
    },
  ])('$name: $expectedStatus', ({ headers, body, expectedStatus, detail }) => {
    let thrown: unknown;
    try {
      parseJsonBody(req(headers, body));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpProblem);
    expect((thrown as HttpProblem).toJSON()).toMatchObject({ status: expectedStatus, detail });
  });
});

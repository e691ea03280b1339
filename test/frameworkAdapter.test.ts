import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHttpServer } from '../server/frameworkAdapter.js';

// What server/frameworkAdapter.ts relies on in the Functions Framework, so
// that an upgrade that changes it fails here rather than in production.
const TARGET = 'adapterProbe';
const seen: { rawBody: string | undefined; hex: string | undefined; body: unknown; url: string }[] =
  [];
functions.http(TARGET, (req, res) => {
  seen.push({
    rawBody: req.rawBody?.toString(),
    hex: req.rawBody?.toString('hex'),
    body: req.body,
    url: req.originalUrl,
  });
  res.status(200).json({ ok: true });
});

let server: Server;
let url: string;
beforeAll(async () => {
  server = createHttpServer(TARGET, () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

it('getTestServer builds the Express app of a registered function as the one request listener, without listening', () => {
  const built = getTestServer(TARGET);
  expect(built.listening).toBe(false);
  const listeners = built.listeners('request');
  expect(listeners).toHaveLength(1);
  expect(typeof (listeners[0] as { use?: unknown }).use).toBe('function');
});

it('serves the registered function, which gets the body read before the app, unparsed', async () => {
  const body = JSON.stringify({ name: 'Adapterland' });
  const answer = await fetch(`${url}/some/path?x=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(answer.status).toBe(200);
  // body-parser saw a finished request and left it alone: no second read, no parse.
  expect(seen.at(-1)).toMatchObject({ rawBody: body, body: undefined, url: '/some/path?x=1' });
});

it('keeps the framework away from bodies it would mangle: invalid UTF-8 reaches the function as bytes', async () => {
  const answer = await fetch(`${url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array([0x7b, 0xff, 0x7d]),
  });
  expect(answer.status).toBe(200);
  expect(seen.at(-1)?.hex).toBe('7bff7d');
});

it('answers the paths the framework would swallow with a problem, not its empty 404', async () => {
  const answer = await fetch(`${url}/favicon.ico`);
  expect(answer.status).toBe(404);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
});

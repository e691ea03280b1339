import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

let pair: TestPair;
let service: RunningService;
let api: Client;

beforeAll(async () => {
  pair = await startTestPair();
  service = await startTestService(pair.env);
  api = httpClient(service.url, pair.env);
});
afterAll(async () => {
  await service?.close();
  await pair?.stop();
});

const json = { 'content-type': 'application/json' };
const HEAD_PATHS = ['/status', '/country', '/country/US', '/country_replica/US', '/openapi.json'];
const problemType = (slug: string) => `urn:pg-replica-functions:problem:${slug}`;
const countryRows = async () => [
  ...(await pair.superuser('primary')`select * from country order by two_letter`),
];

describe('reads', () => {
  it('serves a seeded country from the primary', async () => {
    const response = await api.request('GET', '/country/US');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      name: 'United States of America',
      two_letter: 'US',
      country_id: 840,
    });
  });

  it('accepts the code in any case', async () => {
    expect((await api.request('GET', '/country/gb')).json.two_letter).toBe('GB');
  });

  it('lists all 249 ISO countries ordered by two_letter, with limit and offset', async () => {
    const all = await api.request('GET', '/country');
    expect(all.status).toBe(200);
    expect(all.json).toHaveLength(249);
    const codes = all.json.map((row: { two_letter: string }) => row.two_letter);
    expect(codes).toEqual([...codes].sort());
    const page = await api.request('GET', '/country?limit=2&offset=1');
    expect(page.json).toEqual(all.json.slice(1, 3));
  });

  it('accepts Basic credentials in any scheme case and spacing', async () => {
    const token = Buffer.from('tester:correct horse battery staple').toString('base64');
    const response = await api.request('GET', '/country/US', {
      headers: { authorization: `basic   ${token}` },
    });
    expect(response.status).toBe(200);
  });

  it('reads the replica', async () => {
    const one = await api.request('GET', '/country_replica/FR');
    expect(one.status).toBe(200);
    expect(one.json.country_id).toBe(250);
    expect((await api.request('GET', '/country_replica?limit=5')).json).toHaveLength(5);
  });

  it('answers HEAD wherever GET works, with the headers GET sends', async () => {
    for (const path of HEAD_PATHS) {
      const [head, get] = [await api.request('HEAD', path), await api.request('GET', path)];
      expect(head.status, path).toBe(200);
      for (const name of ['content-type', 'content-length'])
        expect(head.headers.get(name), `${path} ${name}`).toBe(get.headers.get(name));
    }
  });

  it('serves /status and /openapi.json without auth and without X-Powered-By', async () => {
    const status = await api.request('GET', '/status', { auth: false });
    expect(status.status).toBe(200);
    expect(status.json).toEqual({ status: 'ok' });
    expect(status.headers.get('x-powered-by')).toBeNull();
    const doc = await api.request('GET', '/openapi.json', { auth: false });
    expect(doc.json.openapi).toBe('3.1.0');
  });
});

describe('writes', () => {
  it('creates on the primary, then the replica shows it within a second', async () => {
    const created = await api.request('POST', '/country', {
      headers: json,
      body: JSON.stringify({ name: '  Testland  ', two_letter: 'qm', country_id: 901 }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/country/QM');
    expect(created.json).toEqual({ name: 'Testland', two_letter: 'QM', country_id: 901 });

    const started = Date.now();
    let replica = await api.request('GET', '/country_replica/QM');
    while (replica.status === 404 && Date.now() - started < 1000) {
      replica = await api.request('GET', '/country_replica/QM');
    }
    expect(replica.status).toBe(200);
    expect(replica.json).toEqual(created.json);

    const deleted = await api.request('DELETE', '/country/qm');
    expect(deleted.status).toBe(204);
    expect((await api.request('GET', '/country/QM')).status).toBe(404);
    expect((await api.request('DELETE', '/country/QM')).status).toBe(404);
  });

  it('answers 409 for a duplicate two_letter or country_id, naming the field', async () => {
    const body = { name: 'Dupland', two_letter: 'QN', country_id: 902 };
    expect(
      (await api.request('POST', '/country', { headers: json, body: JSON.stringify(body) })).status,
    ).toBe(201);
    const sameCode = await api.request('POST', '/country', {
      headers: json,
      body: JSON.stringify({ ...body, country_id: 903 }),
    });
    expect(sameCode.status).toBe(409);
    expect(sameCode.json.errors).toEqual([{ field: 'two_letter', detail: expect.any(String) }]);
    const sameId = await api.request('POST', '/country', {
      headers: json,
      body: JSON.stringify({ ...body, two_letter: 'QO' }),
    });
    expect(sameId.status).toBe(409);
    expect(sameId.json.errors[0].field).toBe('country_id');
    expect((await api.request('GET', '/country/QO')).status).toBe(404);
    await api.request('DELETE', '/country/QN');
  });

  it('refuses a duplicate without failing a transaction: no transaction id spent', async () => {
    // A failed insert aborts a transaction that has written a row: it spends a
    // transaction id, leaves a dead row and WAL for every standby to replay,
    // and logs an ERROR on the server. Nothing else writes in this file's
    // service between the two reads; each read spends one id itself.
    const primary = pair.superuser('primary');
    const nextId = async () =>
      BigInt((await primary`select pg_current_xact_id()::text as id`)[0]?.id ?? 0);
    const DUPLICATES = 20;
    const before = await nextId();
    for (let i = 0; i < DUPLICATES; i++) {
      const answer = await api.request('POST', '/country', {
        headers: json,
        body: JSON.stringify({
          name: 'United States of America',
          two_letter: 'US',
          country_id: 840,
        }),
      });
      expect(answer.status).toBe(409);
      expect(answer.json.errors).toEqual([
        { field: 'two_letter', detail: 'a country with this two_letter already exists' },
      ]);
    }
    expect((await nextId()) - before).toBe(1n);
  });
});

interface ErrorCase {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  auth?: boolean;
  expectedStatus: number;
  expectedType: string;
  expectedFields?: string[];
  expectedHeader?: [string, string];
}

const valid = { name: 'Errorland', two_letter: 'QP', country_id: 904 };
const post = (body: unknown): Pick<ErrorCase, 'method' | 'path' | 'headers' | 'body'> => ({
  method: 'POST',
  path: '/country',
  headers: json,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const errorCases: ErrorCase[] = [
  {
    name: 'unknown path',
    method: 'GET',
    path: '/nowhere',
    expectedStatus: 404,
    expectedType: 'not-found',
  },
  {
    name: 'favicon',
    method: 'GET',
    path: '/favicon.ico',
    expectedStatus: 404,
    expectedType: 'not-found',
  },
  {
    name: 'trailing slash',
    method: 'GET',
    path: '/country/US/',
    expectedStatus: 404,
    expectedType: 'not-found',
  },
  {
    name: 'unknown code',
    method: 'GET',
    path: '/country/QZ',
    expectedStatus: 404,
    expectedType: 'not-found',
  },
  {
    name: 'unknown code on replica',
    method: 'GET',
    path: '/country_replica/QZ',
    expectedStatus: 404,
    expectedType: 'not-found',
  },
  {
    name: 'malformed code',
    method: 'GET',
    path: '/country/USA',
    expectedStatus: 400,
    expectedType: 'invalid-request',
  },
  {
    name: 'digits as code',
    method: 'GET',
    path: '/country/12',
    expectedStatus: 400,
    expectedType: 'invalid-request',
  },
  {
    name: 'bad percent-encoding',
    method: 'GET',
    path: '/country/%ZZ',
    expectedStatus: 400,
    expectedType: 'invalid-request',
  },
  {
    name: 'malformed code on delete',
    method: 'DELETE',
    path: '/country/U',
    expectedStatus: 400,
    expectedType: 'invalid-request',
  },
  {
    name: 'limit out of range',
    method: 'GET',
    path: '/country?limit=0',
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['limit'],
  },
  {
    name: 'limit not a number',
    method: 'GET',
    path: '/country?limit=ten',
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['limit'],
  },
  {
    name: 'unknown query parameter',
    method: 'GET',
    path: '/country?limt=5',
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['limt'],
  },
  {
    name: 'repeated query parameter',
    method: 'GET',
    path: '/country?limit=1&limit=2',
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['limit'],
  },
  {
    name: 'no credentials',
    method: 'GET',
    path: '/country/US',
    auth: false,
    expectedStatus: 401,
    expectedType: 'unauthorized',
    expectedHeader: ['www-authenticate', 'Basic realm="pg-replica-functions", charset="UTF-8"'],
  },
  {
    name: 'wrong password',
    method: 'GET',
    path: '/country_replica',
    headers: { authorization: `Basic ${Buffer.from('tester:wrong').toString('base64')}` },
    expectedStatus: 401,
    expectedType: 'unauthorized',
  },
  {
    name: 'not Basic',
    method: 'GET',
    path: '/country',
    headers: { authorization: 'Bearer abc' },
    expectedStatus: 401,
    expectedType: 'unauthorized',
  },
  {
    name: 'PUT on a country',
    method: 'PUT',
    path: '/country/US',
    expectedStatus: 405,
    expectedType: 'method-not-allowed',
    expectedHeader: ['allow', 'GET, HEAD, DELETE'],
  },
  {
    name: 'POST on the replica',
    method: 'POST',
    path: '/country_replica',
    expectedStatus: 405,
    expectedType: 'method-not-allowed',
    expectedHeader: ['allow', 'GET, HEAD'],
  },
  {
    name: 'DELETE on the list',
    method: 'DELETE',
    path: '/country',
    expectedStatus: 405,
    expectedType: 'method-not-allowed',
    expectedHeader: ['allow', 'GET, HEAD, POST'],
  },
  {
    name: 'POST on status',
    method: 'POST',
    path: '/status',
    auth: false,
    expectedStatus: 405,
    expectedType: 'method-not-allowed',
  },
  {
    name: 'malformed JSON',
    ...post('{"name":'),
    expectedStatus: 400,
    expectedType: 'invalid-request',
  },
  { name: 'empty body', ...post(''), expectedStatus: 400, expectedType: 'invalid-request' },
  { name: 'JSON array', ...post([valid]), expectedStatus: 400, expectedType: 'invalid-request' },
  { name: 'JSON null', ...post('null'), expectedStatus: 400, expectedType: 'invalid-request' },
  {
    name: 'invalid UTF-8',
    ...post(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
    expectedStatus: 400,
    expectedType: 'invalid-request',
  },
  {
    name: 'missing fields',
    ...post({}),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['name', 'two_letter', 'country_id'],
  },
  {
    name: 'unknown field',
    ...post({ ...valid, capital: 'X' }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['capital'],
  },
  {
    name: 'name too long',
    ...post({ ...valid, name: 'x'.repeat(101) }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['name'],
  },
  {
    name: 'name blank',
    ...post({ ...valid, name: '   ' }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['name'],
  },
  {
    name: 'name with control character',
    ...post({ ...valid, name: 'a\u0007b' }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['name'],
  },
  {
    name: 'name with lone surrogate',
    ...post('{"name":"a\\ud800","two_letter":"QP","country_id":904}'),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['name'],
  },
  {
    name: 'name not a string',
    ...post({ ...valid, name: 42 }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['name'],
  },
  {
    name: 'two_letter with digit',
    ...post({ ...valid, two_letter: 'Q1' }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['two_letter'],
  },
  {
    name: 'two_letter non-ASCII',
    ...post({ ...valid, two_letter: 'QÉ' }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['two_letter'],
  },
  {
    name: 'country_id zero',
    ...post({ ...valid, country_id: 0 }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['country_id'],
  },
  {
    name: 'country_id 1000',
    ...post({ ...valid, country_id: 1000 }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['country_id'],
  },
  {
    name: 'country_id fractional',
    ...post({ ...valid, country_id: 904.5 }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['country_id'],
  },
  {
    name: 'country_id as string',
    ...post({ ...valid, country_id: '904' }),
    expectedStatus: 400,
    expectedType: 'invalid-request',
    expectedFields: ['country_id'],
  },
  {
    name: 'text/plain body',
    method: 'POST',
    path: '/country',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify(valid),
    expectedStatus: 415,
    expectedType: 'unsupported-media-type',
  },
  {
    name: 'no content type',
    method: 'POST',
    path: '/country',
    headers: { 'content-type': '' },
    body: JSON.stringify(valid),
    expectedStatus: 415,
    expectedType: 'unsupported-media-type',
  },
  {
    name: 'latin1 charset',
    method: 'POST',
    path: '/country',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: JSON.stringify(valid),
    expectedStatus: 415,
    expectedType: 'unsupported-media-type',
  },
  {
    name: 'gzip body',
    method: 'POST',
    path: '/country',
    headers: { ...json, 'content-encoding': 'gzip' },
    body: JSON.stringify(valid),
    expectedStatus: 415,
    expectedType: 'unsupported-media-type',
  },
  {
    name: 'body over 16 KiB',
    ...post({ ...valid, name: 'x'.repeat(17 * 1024) }),
    expectedStatus: 413,
    expectedType: 'payload-too-large',
  },
];

describe('every bad input gets its status and a problem body', () => {
  let rowsBeforeErrors: unknown[] = [];
  beforeAll(async () => {
    rowsBeforeErrors = await countryRows();
  });

  it.each(errorCases)('$name → $expectedStatus', async (c) => {
    const response = await api.request(c.method, c.path, {
      ...(c.headers ? { headers: c.headers } : {}),
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.auth === false ? { auth: false } : {}),
    });
    expect(response.status).toBe(c.expectedStatus);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.json).toMatchObject({
      type: problemType(c.expectedType),
      status: c.expectedStatus,
    });
    expect(response.json.title).toEqual(expect.any(String));
    expect(response.json.detail).toEqual(expect.any(String));
    expect(response.text).not.toMatch(/at .+\.(js|ts):\d+|<html|select |insert /i);
    if (c.expectedFields) {
      expect(response.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(
        [...c.expectedFields].sort(),
      );
    }
    if (c.expectedHeader)
      expect(response.headers.get(c.expectedHeader[0])).toBe(c.expectedHeader[1]);
  });

  it('stored nothing from any of them', async () => {
    expect(await countryRows()).toEqual(rowsBeforeErrors);
  });
});

describe('the database enforces what validation does', () => {
  const rejected: [string, string][] = [
    ['lower-case code', `insert into country values ('qx', 'x', 905)`],
    ['three-letter code', `insert into country values ('QXX', 'x', 905)`],
    ['empty name', `insert into country values ('QX', '', 905)`],
    ['untrimmed name', `insert into country values ('QX', ' x', 905)`],
    ['name of 101 characters', `insert into country values ('QX', repeat('x', 101), 905)`],
    ['control character', `insert into country values ('QX', E'a\\tb', 905)`],
    ['country_id 0', `insert into country values ('QX', 'x', 0)`],
    ['country_id 1000', `insert into country values ('QX', 'x', 1000)`],
    ['duplicate country_id', `insert into country values ('QX', 'x', 840)`],
    ['null name', `insert into country values ('QX', null, 905)`],
  ];
  it.each(rejected)('rejects %s', async (_name, statement) => {
    const sql = pair.superuser('primary');
    await expect(sql.unsafe(statement)).rejects.toMatchObject({
      code: expect.stringMatching(/^23/),
    });
  });
});

/** Writes raw bytes and returns everything the server sends until it closes or goes quiet. */
function raw(request: string, quietMs = 300): Promise<string> {
  const { port } = new URL(service.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
    let text = '';
    let timer = setTimeout(() => socket.end(), quietMs);
    socket.on('data', (chunk) => {
      text += chunk;
      clearTimeout(timer);
      timer = setTimeout(() => socket.end(), quietMs);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', reject);
  });
}

const basic = `Basic ${Buffer.from('tester:correct horse battery staple').toString('base64')}`;
const postHead = `POST /country HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic}\r\nContent-Type: application/json\r\n`;

describe('at the HTTP level', () => {
  // fetch never hands over a body for HEAD, whatever the server sends: read the bytes.
  it.each(HEAD_PATHS)('HEAD %s sends a Content-Length and no body', async (path) => {
    const answer = await raw(
      `HEAD ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic}\r\nConnection: close\r\n\r\n`,
    );
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/content-length: [1-9]\d*/i);
    expect(body).toBe('');
  });

  it('refuses an oversized body announced with Expect: 100-continue without asking for it', async () => {
    const answer = await raw(`${postHead}Content-Length: 1048576\r\nExpect: 100-continue\r\n\r\n`);
    expect(answer).not.toContain('100 Continue');
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('accepts a small body announced with Expect: 100-continue', async () => {
    const body = JSON.stringify({ name: 'Continueland', two_letter: 'QY', country_id: 921 });
    const answer = await raw(
      `${postHead}Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer).toContain('HTTP/1.1 201 ');
    expect((await api.request('DELETE', '/country/QY')).status).toBe(204);
  });

  it('refuses a chunked body once it passes 16 KiB', async () => {
    const chunk = `2000\r\n${'x'.repeat(8192)}\r\n`;
    const answer = await raw(
      `${postHead}Transfer-Encoding: chunked\r\n\r\n${chunk.repeat(3)}0\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('application/problem+json');
  });

  it.each(['OPTIONS * HTTP/1.1', 'GET /Favicon.ICO HTTP/1.1', 'GET /robots.txt/extra HTTP/1.1'])(
    '%s gets a 404 problem, not the framework page',
    async (line) => {
      const answer = await raw(`${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 404 /);
      expect(answer).toContain('application/problem+json');
    },
  );

  it('answers a request the HTTP parser cannot read with a 400 problem, not bare text', async () => {
    const answer = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('application/problem+json');
    expect(answer).toContain('urn:pg-replica-functions:problem:invalid-request');
  });
});

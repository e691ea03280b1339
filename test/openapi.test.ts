import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../dev/freePort.js';
import type { RunningService } from '../server/service.js';
import { type Client, httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// The document is written from the routes the api target serves (their
// paths, schemas and declared answers), so it cannot miss a route; what it
// says is checked here: a valid OpenAPI 3.1 document, and each operation
// answering exactly the statuses it declares.
type Document = {
  paths: Record<string, Record<string, { responses: Record<string, object> }>>;
};
let document: Document;

it('is a valid OpenAPI 3.1 document whose references resolve', async () => {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document) as Record<string, unknown>);
  expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');
  expect(() => validator.resolveRefs()).not.toThrow();
});

it('describes the country with the contract its validation enforces', () => {
  const schemas = (document as unknown as { components: { schemas: Record<string, object> } })
    .components.schemas;
  expect(schemas.CountryInput).toEqual({
    type: 'object',
    properties: {
      two_letter: expect.objectContaining({ type: 'string', pattern: '^[A-Za-z]{2}$' }),
      name: expect.objectContaining({ type: 'string', minLength: 1, maxLength: 100 }),
      country_id: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 999 }),
    },
    required: ['two_letter', 'name', 'country_id'],
    additionalProperties: false,
  });
});

// Every documented answer of every operation, elicited from the real service
// (and from one whose database hosts are down, for the 503s): the statuses a
// route answers are the ones its document lists, no more and no fewer.
let pair: TestPair;
let up: RunningService;
let down: RunningService;
let api: Client;
let apiOfDown: Client;

beforeAll(async () => {
  pair = await startTestPair();
  up = await startTestService(pair.env);
  down = await startTestService({
    ...pair.env,
    POSTGRES_MAIN_PORT: String(await freePort()),
    POSTGRES_REPLICATION_PORT: String(await freePort()),
  });
  api = httpClient(up.url, pair.env);
  apiOfDown = httpClient(down.url, pair.env);
  document = (await api.request('GET', '/openapi.json', { auth: false })).json;
});
afterAll(async () => {
  await Promise.all([up?.close(), down?.close()]);
  await pair?.stop();
});

interface Probe {
  operation: string;
  path: string;
  body?: string;
  contentType?: string;
  auth?: false;
  hostsDown?: true;
}

const country = (code: string, id: number) =>
  JSON.stringify({ name: 'Documentland', two_letter: code, country_id: id });

// In order: the POST that creates QK runs before the DELETE that removes it.
const probes: Probe[] = [
  { operation: 'GET /status', path: '/status' },
  { operation: 'GET /openapi.json', path: '/openapi.json' },
  ...['/country', '/country_replica'].flatMap((list): Probe[] => [
    { operation: `GET ${list}`, path: list },
    { operation: `GET ${list}`, path: `${list}?limit=0` },
    { operation: `GET ${list}`, path: list, auth: false },
    { operation: `GET ${list}`, path: list, hostsDown: true },
  ]),
  ...['/country', '/country_replica'].flatMap((list): Probe[] => [
    { operation: `GET ${list}/{two_letter}`, path: `${list}/US` },
    { operation: `GET ${list}/{two_letter}`, path: `${list}/USA` },
    { operation: `GET ${list}/{two_letter}`, path: `${list}/US`, auth: false },
    { operation: `GET ${list}/{two_letter}`, path: `${list}/QZ` },
    { operation: `GET ${list}/{two_letter}`, path: `${list}/US`, hostsDown: true },
  ]),
  { operation: 'POST /country', path: '/country', body: country('QK', 941) },
  { operation: 'POST /country', path: '/country', body: country('QK', 941) },
  { operation: 'POST /country', path: '/country', body: '{"name":1}' },
  { operation: 'POST /country', path: '/country', body: country('QL', 942), auth: false },
  { operation: 'POST /country', path: '/country', body: 'x'.repeat(17_000) },
  { operation: 'POST /country', path: '/country', body: 'x', contentType: 'text/plain' },
  { operation: 'POST /country', path: '/country', body: country('QL', 942), hostsDown: true },
  { operation: 'DELETE /country/{two_letter}', path: '/country/QK' },
  { operation: 'DELETE /country/{two_letter}', path: '/country/QK' },
  { operation: 'DELETE /country/{two_letter}', path: '/country/USA' },
  { operation: 'DELETE /country/{two_letter}', path: '/country/QK', auth: false },
  { operation: 'DELETE /country/{two_letter}', path: '/country/QK', hostsDown: true },
  { operation: 'POST /replication_check', path: '/replication_check' },
  { operation: 'POST /replication_check', path: '/replication_check?x=1' },
  { operation: 'POST /replication_check', path: '/replication_check', auth: false },
  {
    operation: 'POST /replication_check',
    path: '/replication_check',
    body: 'samples=600',
    contentType: 'application/x-www-form-urlencoded',
  },
  { operation: 'POST /replication_check', path: '/replication_check', hostsDown: true },
  { operation: 'GET /status/replication', path: '/status/replication' },
  { operation: 'GET /status/replication', path: '/status/replication?max_lag_ms=x' },
  { operation: 'GET /status/replication', path: '/status/replication', auth: false },
  { operation: 'GET /status/replication', path: '/status/replication', hostsDown: true },
  { operation: 'GET /metrics', path: '/metrics' },
  { operation: 'GET /metrics', path: '/metrics', auth: false },
  { operation: 'GET /replication/history', path: '/replication/history' },
  { operation: 'GET /replication/history', path: '/replication/history?minutes=0' },
  { operation: 'GET /replication/history', path: '/replication/history', auth: false },
  { operation: 'GET /replication/history', path: '/replication/history', hostsDown: true },
  { operation: 'GET /', path: '/' },
  { operation: 'GET /', path: '/', auth: false },
  { operation: 'GET /assets/{name}', path: '/assets/page.js' },
  { operation: 'GET /assets/{name}', path: '/assets/nothing.js' },
  { operation: 'GET /assets/{name}', path: '/assets/constructor' },
  { operation: 'GET /assets/{name}', path: '/assets/page.js', auth: false },
];

/** Every answer the probes elicit, in probe order: the statuses and bodies checked below. */
const answers: { probe: Probe; status: number; type: string | undefined; body: string }[] = [];

beforeAll(async () => {
  for (const probe of probes) {
    const [method = ''] = probe.operation.split(' ');
    const answer = await (probe.hostsDown ? apiOfDown : api).request(method, probe.path, {
      ...(probe.body !== undefined
        ? { body: probe.body, headers: { 'content-type': probe.contentType ?? 'application/json' } }
        : {}),
      ...(probe.auth === false ? { auth: false } : {}),
    });
    answers.push({
      probe,
      status: answer.status,
      type: answer.headers.get('content-type') ?? undefined,
      body: answer.text,
    });
  }
});

it("answers exactly the statuses each operation's document lists", () => {
  const observed = new Map<string, Set<string>>();
  for (const { probe, status } of answers) {
    const seen = observed.get(probe.operation) ?? new Set<string>();
    seen.add(String(status));
    observed.set(probe.operation, seen);
  }
  const documented = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      documented.set(
        `${method.toUpperCase()} ${path}`,
        Object.keys((operation as { responses: object }).responses).sort(),
      );
    }
  }
  expect(
    Object.fromEntries(
      [...observed].map(([operation, statuses]) => [operation, [...statuses].sort()]),
    ),
  ).toEqual(Object.fromEntries(documented));
});

// Each JSON answer elicited above, validated against the schema the served
// document gives for its operation and status: a field missing, renamed or
// of another type in any answer fails here.
it('answers bodies that match the schemas the document gives them', () => {
  expect(answers.length).toBe(probes.length);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  const pointer = (...parts: string[]) =>
    parts
      .map((part) => encodeURIComponent(part.replaceAll('~', '~0').replaceAll('/', '~1')))
      .join('/');
  const undocumented: string[] = [];
  const invalid: string[] = [];
  let validated = 0;
  for (const { probe, status, type, body } of answers) {
    const media = type?.split(';')[0] ?? '';
    if (!media.endsWith('json')) continue;
    const [method = '', path = ''] = probe.operation.split(' ');
    const responses: Record<string, { content?: Record<string, { schema?: object }> }> =
      document.paths[path]?.[method.toLowerCase()]?.responses ?? {};
    const response = responses[String(status)];
    if (!response?.content?.[media]?.schema) {
      undocumented.push(`${probe.operation} ${status} ${media}`);
      continue;
    }
    const validate = ajv.getSchema(
      `openapi.json#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', media, 'schema')}`,
    );
    if (!validate) throw new Error(`no schema at ${probe.operation} ${status}`);
    validated += 1;
    if (!validate(JSON.parse(body)))
      invalid.push(
        `${probe.operation} ${status} (${probe.path}): ${ajv.errorsText(validate.errors)}`,
      );
  }
  expect(invalid).toEqual([]);
  // The document itself is the one JSON answer without a schema of its own.
  expect(undocumented).toEqual(['GET /openapi.json 200 application/json']);
  expect(validated).toBeGreaterThan(40);
});

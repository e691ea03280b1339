import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../db/errors.js';
import { CONSTRAINT_FIELDS } from '../../db/schema.js';
import { errorToProblem } from '../../http/errorToProblem.js';
import { HttpProblem } from '../../http/problem.js';
import { notFound } from '../../http/problems.js';

// The one mapping from any error to the problem a client sees. Driver errors
// arrive as postgres.js raises them, or wrapped by Drizzle ("Failed query: …")
// with the SQLSTATE on `cause`.

// functions/ passes db/schema.ts's constraint → field map: the mapping's rules
// are tested here, the constraint names against a real database in
// test/api.test.ts.

const PREFIX = 'urn:pg-replica-functions:problem:';
const driver = (code: string, constraint_name?: string) =>
  Object.assign(new Error(`driver error ${code}`), { code, constraint_name });
const wrapped = (cause: unknown) => new Error('Failed query: insert into "country" …', { cause });

const existing = notFound('no country with two_letter XX');

const cases: {
  name: string;
  error: unknown;
  expectedStatus: number;
  expectedBody: Record<string, unknown>;
  unexpected: boolean;
  headers?: Record<string, string>;
}[] = [
  {
    name: 'a problem already: itself',
    error: existing,
    expectedStatus: 404,
    expectedBody: { type: `${PREFIX}not-found`, detail: 'no country with two_letter XX' },
    unexpected: false,
  },
  {
    name: 'a host unavailable: 503 naming the host, with Retry-After',
    error: new DatabaseUnavailableError('replica', 'did not answer in time'),
    expectedStatus: 503,
    expectedBody: {
      type: `${PREFIX}database-unavailable`,
      title: 'Service Unavailable',
      detail: 'the replica database did not answer in time',
      host: 'replica',
    },
    headers: { 'Retry-After': '1' },
    unexpected: false,
  },
  {
    name: 'a duplicate two_letter (primary key): 409 on two_letter',
    error: driver('23505', 'country_pkey'),
    expectedStatus: 409,
    expectedBody: {
      type: `${PREFIX}conflict`,
      detail: 'a country with this two_letter already exists',
      errors: [{ field: 'two_letter', detail: 'a country with this two_letter already exists' }],
    },
    unexpected: false,
  },
  {
    name: 'a duplicate country_id, wrapped by Drizzle: 409 on country_id',
    error: wrapped(driver('23505', 'country_country_id_key')),
    expectedStatus: 409,
    expectedBody: {
      detail: 'a country with this country_id already exists',
      errors: [{ field: 'country_id', detail: 'a country with this country_id already exists' }],
    },
    unexpected: false,
  },
  {
    name: 'a duplicate on an unknown constraint: 409 on the body',
    error: driver('23505', 'some_other_key'),
    expectedStatus: 409,
    expectedBody: {
      errors: [{ field: 'body', detail: 'a country with this body already exists' }],
    },
    unexpected: false,
  },
  ...(
    [
      ['23514', 'country_name_length', 'name'],
      ['23514', 'country_two_letter_format', 'two_letter'],
      ['23514', 'country_id_range', 'country_id'],
      ['23514', 'country_name_no_control_chars', 'name'],
      ['23502', undefined, 'body'],
      ['22001', undefined, 'body'],
      ['22003', undefined, 'body'],
      ['22021', undefined, 'body'],
      ['22P02', undefined, 'body'],
      ['22P05', undefined, 'body'],
    ] as const
  ).map(([code, constraint, field]) => ({
    name: `SQLSTATE ${code}${constraint ? ` on ${constraint}` : ''}: 400 on ${field}`,
    error: wrapped(driver(code, constraint)),
    expectedStatus: 400,
    expectedBody: {
      type: `${PREFIX}invalid-request`,
      detail: 'the database rejected the value',
      errors: [{ field, detail: 'rejected by a database constraint' }],
    },
    unexpected: false,
  })),
  {
    name: 'a foreign-key violation (not one a country can cause): 500, logged',
    error: driver('23503', 'country_pkey'),
    expectedStatus: 500,
    expectedBody: {
      type: `${PREFIX}internal-error`,
      detail: 'the request failed unexpectedly; the error has been logged',
    },
    unexpected: true,
  },
  {
    name: 'a syntax error: 500 without its SQL, logged',
    error: Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' }),
    expectedStatus: 500,
    expectedBody: { type: `${PREFIX}internal-error` },
    unexpected: true,
  },
  {
    name: 'a TypeError: 500, logged',
    error: new TypeError("Cannot read properties of undefined (reading 'x')"),
    expectedStatus: 500,
    expectedBody: { type: `${PREFIX}internal-error` },
    unexpected: true,
  },
  {
    name: 'a thrown string: 500, logged',
    error: 'boom',
    expectedStatus: 500,
    expectedBody: { type: `${PREFIX}internal-error` },
    unexpected: true,
  },
  {
    name: 'undefined: 500, logged',
    error: undefined,
    expectedStatus: 500,
    expectedBody: { type: `${PREFIX}internal-error` },
    unexpected: true,
  },
];

describe('errorToProblem', () => {
  it.each(cases)('$name', ({ error, expectedStatus, expectedBody, unexpected, headers }) => {
    const mapped = errorToProblem(error, { subject: 'country', fields: CONSTRAINT_FIELDS });
    expect(mapped.unexpected).toBe(unexpected);
    expect(mapped.problem).toBeInstanceOf(HttpProblem);
    expect(mapped.problem.status).toBe(expectedStatus);
    const body = mapped.problem.toJSON();
    expect(body).toMatchObject({ status: expectedStatus, ...expectedBody });
    if (headers) expect(mapped.problem.init.headers).toMatchObject(headers);
    // Never the driver's message, SQL or a stack.
    expect(JSON.stringify(body)).not.toMatch(/driver error|Failed query|syntax|stack|at /);
  });

  it("names the body for a constraint the caller's map does not name, inherited names included", () => {
    for (const constraint of ['constructor', '__proto__', 'toString', 'country_other']) {
      const { problem } = errorToProblem(driver('23505', constraint), {
        subject: 'country',
        fields: CONSTRAINT_FIELDS,
      });
      expect(problem.toJSON()).toMatchObject({ errors: [{ field: 'body' }] });
    }
  });

  it('passes a problem through as the same object', () => {
    expect(errorToProblem(existing).problem).toBe(existing);
  });
});

describe('a problem document', () => {
  it("keeps RFC 9457's members over extensions of the same name", () => {
    const problem = new HttpProblem({
      status: 503,
      type: 'replica-unreachable',
      title: 'Replication check failed',
      detail: 'the replica 10.0.0.7:5432 refused the connection',
      extensions: { status: 'failing', type: 'report', replicas: [] },
    });
    expect(JSON.parse(JSON.stringify(problem))).toEqual({
      type: 'urn:pg-replica-functions:problem:replica-unreachable',
      title: 'Replication check failed',
      status: 503,
      detail: 'the replica 10.0.0.7:5432 refused the connection',
      replicas: [],
    });
  });
});

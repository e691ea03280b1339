import { METHODS } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { throttledLog } from '../http/throttledLog.js';
import type { Logger } from '../log/logger.js';
import type { RunningService } from '../server/service.js';
import {
  type CapturedLog,
  closeRawAgent,
  GOOD_AUTH,
  raw,
  startDblessService,
} from './support/dblessService.js';
import { parseExposition } from './support/prometheus.js';

// The http_* lines of a scrape (a fresh process's event-loop gauges print "Nan").
const httpSamples = (text: string) =>
  parseExposition(
    text
      .split('\n')
      .filter((line) => line.startsWith('http_'))
      .join('\n'),
  ).samples;

// Issue 17, what a caller without credentials (or with wrong ones) can do to
// the HTTP layer: grow the metrics, grow the logs, frame the page, post a
// form, spoof a name. None of it needs a database: the hosts are closed ports.
let service: RunningService;
let log: CapturedLog;

beforeAll(async () => {
  ({ service, log } = await startDblessService());
});
afterAll(async () => {
  closeRawAgent();
  await service?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  raw(service.url, 'GET', path, headers);
const logSince = (mark: number) => log.text.slice(mark);

const TEMPLATES = [
  '/',
  '/assets/{name}',
  '/country',
  '/country/{two_letter}',
  '/country_replica',
  '/country_replica/{two_letter}',
  '/metrics',
  '/openapi.json',
  '/replication/history',
  '/replication_check',
  '/status',
  '/status/replication',
];
const KNOWN_PATHS = [
  '/',
  '/assets/page.js',
  '/country',
  '/country/US',
  '/country_replica',
  '/country_replica/US',
  '/metrics',
  '/openapi.json',
  '/replication/history',
  '/replication_check',
  '/status',
  '/status/replication',
];

async function requestSeries(): Promise<{ route: string; method: string; status: string }[]> {
  const answer = await get('/metrics', { authorization: GOOD_AUTH });
  expect(answer.status).toBe(200);
  return httpSamples(answer.text)
    .filter((sample) => sample.name === 'http_request_duration_seconds_count')
    .map(({ labels }) => ({
      route: labels.route ?? '',
      method: labels.method ?? '',
      status: labels.status ?? '',
    }));
}

async function sendAll(methods: readonly string[], paths: readonly string[]) {
  for (const method of methods) {
    for (const path of paths) {
      for (const headers of [{}, { authorization: GOOD_AUTH }] as Record<string, string>[]) {
        // A method the parser takes but cannot answer on (PRI) just fails here.
        await raw(service.url, method, path, headers).catch(() => undefined);
      }
    }
  }
}

describe('pre-auth errors in the log (issue 17, 5)', () => {
  it('are one short line without the stack, the install path or more than a prefix of the path', async () => {
    const mark = log.text.length;
    const hostile = `/country/${'%AA'.repeat(5000)}`; // 15 KB of malformed encoding
    const answer = await get(hostile);
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.text.length).toBeLessThan(300);

    const lines = logSince(mark);
    expect(lines).toHaveLength(1);
    const [line = ''] = lines;
    expect(line.length).toBeLessThan(400);
    expect(line).not.toMatch(/\bat \S+ \(|stack|node_modules|\/work\/|\/app\//);
    expect(line.split('%AA').length - 1).toBeLessThanOrEqual(64 / 3);
    expect(JSON.parse(line)).toMatchObject({
      severity: 'WARNING',
      message: 'request refused before routing',
      error: 'URIError',
      method: 'GET',
    });
  });

  it('are logged at a bounded rate: 200 of them in a burst give one line', async () => {
    const mark = log.text.length;
    for (let i = 0; i < 200; i++) expect((await get(`/x/%${i}%ZZ`)).status).toBe(400);
    expect(logSince(mark).length).toBeLessThanOrEqual(1);
    expect(logSince(mark).join('').length).toBeLessThan(400);
  });
});

describe('failed Basic auth (issue 17, 8d)', () => {
  const failures = async () => {
    const answer = await get('/metrics', { authorization: GOOD_AUTH });
    const samples = httpSamples(answer.text);
    const value = (reason: string) =>
      samples.find(
        (sample) => sample.name === 'http_auth_failures_total' && sample.labels.reason === reason,
      )?.value ?? Number.NaN;
    return {
      missing: value('missing'),
      malformed: value('malformed'),
      rejected: value('rejected'),
    };
  };

  it('is counted by reason, every time, and logged at a bounded rate without the credentials', async () => {
    const before = await failures();
    const mark = log.text.length;
    const user = 'mallory-the-user';
    const password = 'hunter2-the-password';
    const wrong = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const wrongPassword = `Basic ${Buffer.from(`tester:${password}`).toString('base64')}`;
    for (let i = 0; i < 100; i++) {
      expect((await get('/country', { authorization: wrong })).status).toBe(401);
      expect((await get('/metrics', { authorization: wrongPassword })).status).toBe(401);
      expect((await get('/', { authorization: `Bearer ${password}` })).status).toBe(401);
      expect((await get('/nope/../metrics')).status).toBe(404); // no route: no auth asked
      expect((await get('/metrics')).status).toBe(401);
    }
    const after = await failures();
    expect(after).toEqual({
      missing: before.missing + 100,
      malformed: before.malformed + 100,
      rejected: before.rejected + 200,
    });

    // The first failure of this service is logged; the other 399 wait for
    // the interval's summary line (60 s: not reached in this test).
    const lines = logSince(mark);
    expect(lines).toHaveLength(1);
    const text = lines.join('\n');
    for (const secret of [user, password, 'tester', wrong.slice(6), wrongPassword.slice(6)])
      expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      severity: 'WARNING',
      message: 'Basic auth failed',
      reason: 'rejected',
      route: '/country',
      method: 'GET',
    });
  });
});

describe('request metrics (issue 17, 4)', () => {
  it('keep a fixed set of series however many methods and paths are sent, with credentials or without', async () => {
    await requestSeries(); // the scrape's own series
    const usual = ['GET', 'HEAD', 'POST', 'DELETE', 'PUT'];
    await sendAll(usual, [...KNOWN_PATHS, '/nope', '/country/US/extra']);
    const before = await requestSeries();

    const every = METHODS.filter((method) => method !== 'CONNECT');
    expect(every.length).toBeGreaterThan(30);
    const junk = Array.from({ length: 12 }, (_, i) => `/junk-${i}/${'x'.repeat(i)}`);
    await sendAll(every, [...KNOWN_PATHS, ...junk, '/.env', '/wp-login.php']);
    const after = await requestSeries();

    // ~1500 requests of 34 methods on 26 paths added no series.
    expect(after.length).toBe(before.length);
    for (const series of after) {
      expect(['GET', 'HEAD', 'POST', 'DELETE', 'other']).toContain(series.method);
      expect([...TEMPLATES, 'unmatched']).toContain(series.route);
    }
    expect(after.some((s) => s.route === 'unmatched' && s.method === 'other')).toBe(true);
    expect(after.some((s) => s.route === '/country' && s.method === 'other')).toBe(true);
  }, 60_000);
});

describe('security headers (issue 17, 8a)', () => {
  it('nosniff on every answer, public or not, from the router, the adapter or the parser', async () => {
    const answers = [
      await get('/status'),
      await get('/openapi.json'),
      await get('/'),
      await get('/', { authorization: GOOD_AUTH }),
      await get('/metrics', { authorization: GOOD_AUTH }),
      await get('/country/US', { authorization: GOOD_AUTH }), // 503: hosts down
      await get('/nowhere'),
      await get('/favicon.ico'),
      await get('/country/%E0%A4%A'),
      await raw(service.url, 'OPTIONS', '/country'),
    ];
    for (const answer of answers) {
      expect(answer.headers['x-content-type-options'], String(answer.status)).toBe('nosniff');
    }
    // The HTTP parser's own refusal (clientError) too.
    const { connect } = await import('node:net');
    const url = new URL(service.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
      );
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk;
      });
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text.toLowerCase()).toContain('x-content-type-options: nosniff');
  });

  it('no-store on every authenticated answer and on 401s', async () => {
    for (const path of ['/', '/metrics', '/country/US', '/status/replication']) {
      const refused = await get(path);
      expect(refused.status).toBe(401);
      expect(refused.headers['cache-control']).toBe('no-store');
      const answered = await get(path, { authorization: GOOD_AUTH });
      expect(answered.status).not.toBe(401);
      expect(answered.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('the page is framed by no one', async () => {
    const page = await get('/', { authorization: GOOD_AUTH });
    expect(page.status).toBe(200);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });
});

describe('country names (issue 17, 8c)', () => {
  const post = (name: string) =>
    raw(
      service.url,
      'POST',
      '/country',
      { authorization: GOOD_AUTH, 'content-type': 'application/json' },
      JSON.stringify({ name, two_letter: 'QZ', country_id: 999 }),
    );

  it.each([
    ['U+202E right-to-left override', 'Ab\u202Ecd'],
    ['U+200B zero-width space', 'Ab\u200Bcd'],
    ['U+FEFF zero-width no-break space', 'Ab\uFEFFcd'],
    ['U+200D zero-width joiner', 'Ab\u200Dcd'],
    ['U+00AD soft hyphen', 'Ab\u00ADcd'],
    ['U+2066 left-to-right isolate', '\u2066Abcd'],
    ['U+E0001 language tag', 'Ab\u{E0001}cd'],
  ])('refuse %s with a 400 naming the field', async (_, name) => {
    const answer = await post(name);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text).errors).toEqual([
      { field: 'name', detail: expect.stringMatching(/format characters/) },
    ]);
  });

  it('still take other letters, marks and spaces (the request reaches the database: 503 here)', async () => {
    expect((await post('Côte d’Ivoire – Åland ﷺ')).status).toBe(503);
  });
});

describe('the throttled log line', () => {
  it('logs the first event, then at most one line per interval saying how many it held back', () => {
    vi.useFakeTimers();
    try {
      const lines: { message: string; fields?: Record<string, unknown> }[] = [];
      const logger: Logger = (_, message, fields) => lines.push({ message, fields });
      const event = throttledLog(logger, 'WARNING', 'Basic auth failed', 60_000);
      for (let i = 0; i < 1000; i++) event({ reason: 'rejected', i });
      expect(lines).toEqual([
        { message: 'Basic auth failed', fields: { reason: 'rejected', i: 0 } },
      ]);
      vi.advanceTimersByTime(60_000);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toEqual({
        message: 'Basic auth failed (999 more in the last 60 s)',
        fields: { reason: 'rejected', i: 999, suppressed: 999 },
      });
      // A burst right after the summary waits for the next interval.
      for (let i = 0; i < 10; i++) event({ reason: 'missing' });
      vi.advanceTimersByTime(59_999);
      expect(lines).toHaveLength(2);
      vi.advanceTimersByTime(1);
      expect(lines).toHaveLength(3);
      expect(lines[2]?.fields).toMatchObject({ suppressed: 10 });
      // After a quiet interval, the next event is logged at once.
      vi.advanceTimersByTime(120_000);
      event({ reason: 'malformed' });
      expect(lines).toHaveLength(4);
      expect(lines[3]).toEqual({ message: 'Basic auth failed', fields: { reason: 'malformed' } });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('state-changing POSTs and forms (issue 17, 2c)', () => {
  const check = (headers: Record<string, string>, body?: string) =>
    raw(service.url, 'POST', '/replication_check?samples=600&interval_ms=1500', headers, body);

  it.each([
    ['application/x-www-form-urlencoded', 'samples=600'],
    ['multipart/form-data; boundary=x', '--x--\r\n'],
    ['text/plain', 'x'],
    ['application/x-www-form-urlencoded', undefined],
  ])('refuse %s with 415 before anything runs', async (type, body) => {
    const answer = await check({ authorization: GOOD_AUTH, 'content-type': type }, body);
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.text)).toMatchObject({
      type: 'urn:pg-replica-functions:problem:unsupported-media-type',
    });
  });

  it('take no Content-Type (curl, Cloud Scheduler) or application/json (the hosts are down here: 503)', async () => {
    expect((await check({ authorization: GOOD_AUTH })).status).toBe(503);
    expect(
      (await check({ authorization: GOOD_AUTH, 'content-type': 'application/json' })).status,
    ).toBe(503);
  });

  it('the OpenAPI document lists the 415', async () => {
    const document = JSON.parse((await get('/openapi.json')).text);
    expect(document.paths['/replication_check'].post.responses['415']).toMatchObject({
      content: { 'application/problem+json': expect.any(Object) },
    });
  });
});

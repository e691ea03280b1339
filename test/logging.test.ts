import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../log/logger.js';
import { setTraceProject, traceFields } from '../log/trace.js';
import { httpClient } from './support/http.js';
import { captureProcessLog } from './support/logCapture.js';
import { spawnEntry } from './support/process.js';
import { startTestService } from './support/service.js';
import { startTestPair, type TestPair } from './support/testPair.js';

describe('log lines', () => {
  it('are JSON with Cloud Logging severity, message and an RFC 3339 time', () => {
    const { lines, log } = captureProcessLog();
    log('WARNING', 'careful', { code: 7 });
    log('ERROR', 'broken');
    log('INFO', 'fine');
    expect(lines).toEqual([
      {
        severity: 'WARNING',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        message: 'careful',
        code: 7,
      },
      { severity: 'ERROR', time: expect.any(String), message: 'broken' },
      { severity: 'INFO', time: expect.any(String), message: 'fine' },
    ]);
  });

  it('redact secret-looking keys wherever they sit', () => {
    const { lines, log } = captureProcessLog();
    log('INFO', 'connecting', {
      password: 'top-level-secret',
      headers: { authorization: 'Basic c2VjcmV0', host: 'x' },
      target: { pass: 'nested-secret', user: 'app' },
      BASIC_AUTH_PASSWORD: 'env-secret',
      request: { headers: { authorization: 'Basic ZGVlcA==' } },
      config: { database: { pool: { password: 'four-levels-down' } } },
    });
    const text = JSON.stringify(lines);
    for (const secret of [
      'top-level-secret',
      'c2VjcmV0',
      'nested-secret',
      'env-secret',
      'ZGVlcA==',
      'four-levels-down',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      password: REDACTED,
      headers: { authorization: REDACTED, host: 'x' },
      target: { pass: REDACTED, user: 'app' },
    });
  });
});

describe('trace correlation', () => {
  afterAll(() => setTraceProject(undefined));

  it('reads W3C traceparent and X-Cloud-Trace-Context', () => {
    setTraceProject('proj');
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(traceFields({ traceparent: `00-${trace}-00f067aa0ba902b7-01` })).toEqual({
      'logging.googleapis.com/trace': `projects/proj/traces/${trace}`,
      'logging.googleapis.com/spanId': '00f067aa0ba902b7',
      'logging.googleapis.com/trace_sampled': true,
    });
    expect(traceFields({ 'x-cloud-trace-context': `${trace}/1;o=0` })).toEqual({
      'logging.googleapis.com/trace': `projects/proj/traces/${trace}`,
      'logging.googleapis.com/spanId': '0000000000000001',
      'logging.googleapis.com/trace_sampled': false,
    });
    expect(traceFields({ traceparent: 'garbage' })).toEqual({});
    expect(traceFields({})).toEqual({});
  });
});

// The real server process, with known secrets, driven through what logs:
// start-up, refused credentials, a database that rejects its password, an
// unexpected request, a check run, shutdown. None of the secrets may appear.
let pair: TestPair;
beforeAll(async () => {
  pair = await startTestPair();
});
afterAll(async () => {
  await pair?.stop();
});

describe('a running service', () => {
  it('puts the request trace on the check run line', async () => {
    setTraceProject('proj');
    const lines: Record<string, unknown>[] = [];
    const service = await startTestService(pair.env, (severity, message, fields = {}) =>
      lines.push({ severity, message, ...fields }),
    );
    try {
      const trace = '0af7651916cd43dd8448eb211c80319c';
      const answer = await httpClient(service.url, pair.env).request('POST', '/replication_check', {
        headers: { traceparent: `00-${trace}-b7ad6b7169203331-01` },
      });
      expect(answer.status).toBe(200);
      expect(lines.find((line) => line.check === 'replication')).toMatchObject({
        'logging.googleapis.com/trace': `projects/proj/traces/${trace}`,
        'logging.googleapis.com/spanId': 'b7ad6b7169203331',
      });
    } finally {
      setTraceProject(undefined);
      await service.close();
    }
  });

  it('never writes a password, a Basic credential or an Authorization header to its log', async () => {
    const secrets = {
      BASIC_AUTH_USERNAME: 'log-test-user',
      BASIC_AUTH_PASSWORD: 'log-test-basic-password',
      // Wrong on purpose: the replica refuses it, and that is logged as a 503.
      POSTGRES_REPLICATION_PASSWORD: 'log-test-wrong-replica-password',
    };
    const server = spawnEntry('server/main.ts', { ...pair.env, ...secrets, PORT: '0' });
    const [, port] = await server.waitFor(/"port":(\d+)/);
    const api = httpClient(`http://127.0.0.1:${port}`, secrets);
    const wrong = httpClient(`http://127.0.0.1:${port}`, {
      BASIC_AUTH_USERNAME: 'log-test-user',
      BASIC_AUTH_PASSWORD: 'log-test-guess',
    });
    expect((await wrong.request('GET', '/country/US')).status).toBe(401);
    expect((await api.request('GET', '/country/US')).status).toBe(200);
    expect((await api.request('GET', '/country_replica/US')).status).toBe(503);
    expect((await api.request('POST', '/replication_check')).status).toBe(503);
    expect((await api.request('GET', '/nowhere')).status).toBe(404);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const output = server.output();
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.map((line) => JSON.parse(line).severity)).not.toContain(undefined);
    expect(output).toContain('"check":"replication"');
    for (const secret of [
      ...Object.values(secrets),
      pair.env.POSTGRES_MAIN_PASSWORD ?? '',
      'log-test-guess',
      Buffer.from('log-test-user:log-test-basic-password').toString('base64'),
    ]) {
      expect(output).not.toContain(secret);
    }
  });
});

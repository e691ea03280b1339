import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { setApplyDelay } from './support/settings.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// The freshness SLO's input (terraform/modules/monitoring/slo.tf): one log
// line per heartbeat of the scheduled prober's windows, naming the positions
// that should show it and, per position, the commit → visible time (null when
// not shown within the threshold).

let pair: TestPair;
let scheduled: RunningService;
let api: RunningService;
const lines: { service: string; message: string; fields: Record<string, unknown> }[] = [];
const logTo =
  (service: string) =>
  (_severity: string, message: string, fields: Record<string, unknown> = {}) =>
    lines.push({ service, message, fields });

beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
  const env = { ...pair.env, REPLICA_MAX_LAG_MS: '200' };
  scheduled = await startTestService(
    {
      ...env,
      FUNCTION_TARGET: 'replicationCheck',
      BASIC_AUTH_USERNAME: undefined,
      BASIC_AUTH_PASSWORD: undefined,
    },
    logTo('scheduled'),
  );
  api = await startTestService(env, logTo('api'));
});
afterAll(async () => {
  await Promise.all([scheduled?.close(), api?.close()]);
  await pair?.stop();
});

const heartbeatLines = (service: string) =>
  lines.filter((line) => line.service === service && line.fields.check === 'replication-heartbeat');

describe('the per-heartbeat log line', () => {
  it('is written once per heartbeat by the scheduled prober, with each position’s visible time or null', async () => {
    await setApplyDelay(pair, 1, 400);
    try {
      const answer = await httpClient(scheduled.url, {}).request(
        'POST',
        '/replication_check?samples=4&interval_ms=100',
        { auth: false },
      );
      expect(answer.status).toBe(503);
    } finally {
      await setApplyDelay(pair, 1, 0);
    }
    const written = heartbeatLines('scheduled');
    expect(written.map((line) => line.fields.heartbeat)).toEqual([1, 2, 3, 4]);
    for (const { message, fields } of written) {
      expect(message).toBe('replication heartbeat');
      expect(fields.standbys).toEqual(['r1', 'r2']);
      const visible = fields.visible_ms as Record<string, number | null>;
      expect(visible.r1).toBeGreaterThan(0);
      expect(visible.r1).toBeLessThan(200);
      // Standby 2 applies 400 ms late, over the 200 ms threshold: not shown in time.
      expect(visible.r2).toBeNull();
    }
  });

  it('is not written for a window cut short by shutdown: its heartbeats were not measured', async () => {
    const stopping = await startTestService(
      {
        ...pair.env,
        FUNCTION_TARGET: 'replicationCheck',
        K_SERVICE: 'slo-stopping',
        BASIC_AUTH_USERNAME: undefined,
        BASIC_AUTH_PASSWORD: undefined,
      },
      logTo('stopping'),
    );
    const answer = httpClient(stopping.url, {}).request(
      'POST',
      '/replication_check?samples=20&interval_ms=200',
      { auth: false },
    );
    // A few heartbeats in.
    await expect
      .poll(
        async () =>
          Number(
            (
              await pair.superuser('primary')`
                select sequence from replication_heartbeat where prober = 'slo-stopping'`
            )[0]?.sequence ?? 0,
          ),
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(2);
    await stopping.close();
    expect((await answer).json.interrupted).toBe('the server is shutting down');
    const run = lines.find(
      (line) => line.service === 'stopping' && line.fields.check === 'replication',
    );
    expect(run?.fields.interrupted).toBe('the server is shutting down');
    expect(heartbeatLines('stopping')).toEqual([]);
  });

  it('is not written for the api target’s windows (callers’ checks are not the SLO’s)', async () => {
    const answer = await httpClient(api.url, pair.env).request(
      'POST',
      '/replication_check?samples=2&interval_ms=100',
    );
    expect(answer.status).toBe(200);
    expect(
      lines.some((line) => line.service === 'api' && line.fields.check === 'replication'),
    ).toBe(true);
    expect(heartbeatLines('api')).toEqual([]);
  });
});

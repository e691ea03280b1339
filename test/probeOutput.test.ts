import { describe, expect, it } from 'vitest';
import {
  nagiosLine,
  type ProbeReplica,
  type ProbeResult,
  verdict,
} from '../synthetic/probeOutput.js';

const replica = (name: string, p99: number | null, ok = true): ProbeReplica => ({
  endpoint: `10.0.0.${name.length}:5432`,
  ok,
  application_name: name,
  samples: 60,
  seen: p99 === null ? 0 : 60,
  polls: 120,
  lag_ms: { last: p99, p50: p99, p90: p99, p99, max: p99 },
  failures: [],
});
const thresholds = { warningMs: 500, criticalMs: 2000 };

describe('verdict', () => {
  it.each<{ name: string; result: ProbeResult; expected: string }>([
    {
      name: 'all fast',
      result: { ok: true, failures: [], replicas: [replica('a', 3)] },
      expected: 'OK',
    },
    {
      name: 'one over warning',
      result: { ok: true, failures: [], replicas: [replica('a', 3), replica('bb', 700)] },
      expected: 'WARNING',
    },
    {
      name: 'one over critical',
      result: { ok: true, failures: [], replicas: [replica('a', 2500)] },
      expected: 'CRITICAL',
    },
    {
      name: 'a failure',
      result: {
        ok: false,
        failures: [{ type: 'standby-stalled', detail: 'x', standby: 'bb' }],
        replicas: [replica('a', 3)],
      },
      expected: 'CRITICAL',
    },
    {
      name: 'the primary out of reach',
      result: {
        ok: false,
        failures: [{ type: 'primary-unreachable', detail: 'refused' }],
        replicas: [],
      },
      expected: 'UNKNOWN',
    },
  ])('$name → $expected', ({ result, expected }) => {
    expect(verdict(result, thresholds)).toBe(expected);
  });

  it('names the worst replica, and writes U for a lag it never saw', () => {
    const line = nagiosLine(
      {
        ok: false,
        failures: [{ type: 'replication-lag', detail: 'x', endpoint: '10.0.0.2:5432' }],
        replicas: [replica('a', 3), replica('bb', null, false)],
      },
      thresholds,
    );
    expect(line).toMatch(/^PG_REPLICA CRITICAL - bb: replication-lag \| /);
    expect(line).toContain("'bb_lag_p99'=U;500;2000;0");
    expect(line).toContain("'a_lag_p99'=3ms;500;2000;0");
  });
});

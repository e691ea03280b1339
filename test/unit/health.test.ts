import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DatabaseClients } from '../../db/clients.js';
import { type HealthThresholds, replicationHealth } from '../../replication/health.js';
import type { Topology } from '../../replication/topology.js';
import { readTopology } from '../../replication/topology.js';
import {
  beats,
  endpointView,
  primaryFacts,
  primaryView,
  replicaFacts,
  standbyRow,
  topology,
} from '../support/replicationFacts.js';

// /status/replication from facts: readTopology is the only thing that reads
// a server, so it is replaced by the facts of each case.
// Nothing else of topology.ts is loaded: it would bring the database clients.
vi.mock('../../replication/topology.js', () => ({ readTopology: vi.fn() }));

const thresholds: HealthThresholds = {
  maxLagMs: 1000,
  expectedStandbys: 2,
  ignoredStandbys: [],
  maxLagBytes: undefined,
  maxSlotRetainedBytes: 1_000_000,
};
const E1 = '10.0.0.7:5432';
const E2 = '10.0.0.8:5432';
const db = { endpoints: [{ endpoint: E1 }, { endpoint: E2 }] } as unknown as DatabaseClients;

async function health(given: Topology, over: Partial<HealthThresholds> = {}) {
  vi.mocked(readTopology).mockResolvedValue(given);
  return replicationHealth(db, { ...thresholds, ...over });
}

beforeEach(() => {
  vi.mocked(readTopology).mockReset();
});

/**
 * Standby pg-2 (endpoint E2) 0x148 bytes behind the primary. The primary
 * measures its replay lag as `replayLagMs`; prober `p` wrote heartbeat 5,
 * `ageMs` ago, and the replica shows heartbeat `shown`.
 */
function behind(options: {
  replayLagMs: number | null;
  shown: number | undefined;
  ageMs?: number;
  replicaBytesBehind?: boolean;
}): Topology {
  const { replayLagMs, shown, ageMs = 1500, replicaBytesBehind = true } = options;
  return topology({
    primary: primaryView({
      standbys: [
        standbyRow('pg-1'),
        standbyRow('pg-2', {
          client_addr: '10.0.0.8',
          replay_lag_ms: replayLagMs,
          replay_lsn: '0/3000000',
          replay_lag_bytes: 0x148,
        }),
      ],
      beats: beats({ p: 5 }, { p: ageMs }),
    }),
    endpoints: [
      endpointView(E1, 'pg-1', { beats: beats({ p: 5 }) }),
      endpointView(E2, 'pg-2', {
        facts: replicaFacts({
          server_identity: E2,
          replay_lsn: replicaBytesBehind ? '0/3000000' : '0/3000148',
        }),
        beats: shown === undefined ? undefined : beats({ p: shown }),
      }),
    ],
  });
}

describe('lag in time of a replica (no write)', () => {
  const cases: {
    name: string;
    topology: Topology;
    expectedLagMs: number | null;
    expectedBytes: number | null;
  }[] = [
    {
      name: "the primary's replay_lag null, a heartbeat owed: the heartbeat's age",
      topology: behind({ replayLagMs: null, shown: 4 }),
      expectedLagMs: 1500,
      expectedBytes: 0x148,
    },
    {
      name: "the primary's replay_lag stale (0.3 ms), a heartbeat owed: the heartbeat's age",
      topology: behind({ replayLagMs: 0.3, shown: 4 }),
      expectedLagMs: 1500,
      expectedBytes: 0x148,
    },
    {
      name: 'no heartbeat table on the replica: every heartbeat is owed',
      topology: behind({ replayLagMs: 0.3, shown: undefined }),
      expectedLagMs: 1500,
      expectedBytes: 0x148,
    },
    {
      name: "the primary's replay_lag larger than the heartbeat's age: the replay lag",
      topology: behind({ replayLagMs: 2500, shown: 4 }),
      expectedLagMs: 2500,
      expectedBytes: 0x148,
    },
    {
      name: 'the heartbeat shown: the primary measures it, idle time before a write does not count',
      topology: behind({ replayLagMs: 0.3, shown: 5 }),
      expectedLagMs: 0.3,
      expectedBytes: 0x148,
    },
    {
      name: 'the heartbeat shown and the primary does not know: unknown, never 0',
      topology: behind({ replayLagMs: null, shown: 5 }),
      expectedLagMs: null,
      expectedBytes: 0x148,
    },
    {
      name: 'replayed all the primary wrote: 0, whatever else is stale',
      topology: behind({ replayLagMs: 2500, shown: 4, replicaBytesBehind: false }),
      expectedLagMs: 0,
      expectedBytes: 0,
    },
  ];
  it.each(cases)('$name', async ({ topology: given, expectedLagMs, expectedBytes }) => {
    const { report } = await health(given);
    const replica = report.replicas[1];
    expect(replica).toMatchObject({
      endpoint: E2,
      lag_ms: expectedLagMs,
      lag_bytes: expectedBytes,
    });
    const lagging = (expectedLagMs ?? 0) > thresholds.maxLagMs;
    expect(replica?.ok).toBe(!lagging);
    // The worst known: standby pg-1 is caught up (0), so 0 when pg-2's is unknown.
    expect(report.lag_ms).toBe(expectedLagMs ?? 0);
  });

  it('the oldest heartbeat owed of several probers counts, a prober without an age does not', async () => {
    const given = behind({ replayLagMs: null, shown: 4 });
    if (!given.primary) throw new Error('no primary');
    given.primary.beats = beats({ a: 3, b: 7, c: 2, d: 9 }, { a: 800, b: 300, c: 5000 });
    const replica = given.endpoints[1];
    if (!replica) throw new Error('no replica');
    replica.beats = beats({ a: 2, b: 6, c: 2 });
    const { report } = await health(given);
    // a and b owed (800, 300 ms); c shown; d owed but its age unknown.
    expect(report.replicas[1]?.lag_ms).toBe(800);
  });

  it('over the threshold: replication-lag naming the endpoint; at it: healthy', async () => {
    const over = await health(behind({ replayLagMs: 0.3, shown: 4, ageMs: 1000.4 }));
    expect(over.ok).toBe(false);
    expect(over.failures).toEqual([
      { type: 'replication-lag', endpoint: E2, detail: `${E2} is 1000 ms behind (over 1000 ms)` },
    ]);
    expect(over.report.status).toBe('failing');
    const at = await health(behind({ replayLagMs: 0.3, shown: 4, ageMs: 1000 }));
    expect(at.failures).toEqual([]);
    expect(at.report.status).toBe('ok');
  });

  it('bytes over max_lag_bytes, when given: replication-lag in bytes', async () => {
    const result = await health(behind({ replayLagMs: 0.3, shown: 5 }), { maxLagBytes: 0x147 });
    expect(result.failures).toEqual([
      {
        type: 'replication-lag',
        endpoint: E2,
        detail: `${E2} is 328 bytes behind (over 327 bytes)`,
      },
    ]);
    expect((await health(behind({ replayLagMs: 0.3, shown: 5 }), { maxLagBytes: 0x148 })).ok).toBe(
      true,
    );
  });
});

describe('the failures health reports', () => {
  it.each([
    {
      name: 'a healthy cluster',
      topology: topology(),
      expected: [],
    },
    {
      name: 'a missing synchronous standby is the check’s to report, not health’s',
      topology: topology({
        primary: primaryView({ facts: primaryFacts({ synchronous_standby_names: 'ghost' }) }),
      }),
      expected: [],
    },
    {
      name: 'fewer standbys streaming than expected: the check’s too',
      topology: topology({ primary: primaryView({ standbys: [standbyRow('pg-1')] }) }),
      expected: [],
    },
    {
      name: 'a standby no endpoint verifies: standby-unverified',
      topology: topology({
        primary: primaryView({
          standbys: [
            standbyRow('pg-1'),
            standbyRow('pg-2', { client_addr: '10.0.0.8' }),
            standbyRow('pg-3', { client_addr: '10.0.0.9' }),
          ],
        }),
      }),
      expected: ['standby-unverified'],
    },
    {
      name: 'the primary unreachable: that, and every replica unmatched',
      topology: topology({ primary: undefined }),
      expected: ['primary-unreachable'],
    },
    {
      name: 'a replica paused: replica-not-replaying on its endpoint',
      topology: topology({
        endpoints: [
          endpointView(E1, 'pg-1'),
          endpointView(E2, 'pg-2', {
            facts: replicaFacts({ server_identity: E2, replay_paused: true }),
          }),
        ],
      }),
      expected: ['replica-not-replaying'],
    },
  ])('$name', async ({ topology: given, expected }) => {
    const result = await health(given);
    expect(result.failures.map((failure) => failure.type)).toEqual(expected);
    expect(result.ok).toBe(expected.length === 0);
  });

  it('fewer endpoints than standbys expected: endpoints-missing', async () => {
    const result = await health(topology(), { expectedStandbys: 3 });
    expect(result.failures.map((failure) => failure.type)).toEqual(['endpoints-missing']);
  });
});

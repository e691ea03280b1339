import { describe, expect, it } from 'vitest';
import { assess, windowFailures } from '../../replication/assess.js';
import type { EndpointSamples, WindowResult } from '../../replication/sampler.js';
import {
  endpointView,
  primaryView,
  replicaFacts,
  standbyRow,
  topology,
  walReceiver,
} from '../support/replicationFacts.js';

// What a sampling window adds to a replica's failures, and how the check
// weighs the window against what was read before it: from facts alone.

const E1 = '10.0.0.7:5432';
const MAX_LAG_MS = 1000;

const streaming = {
  replayLsn: '0/3000100',
  receiveLsn: '0/3000100',
  replayPaused: false,
  receiverStatus: 'streaming',
};

const samples = (over: Partial<EndpointSamples> = {}): EndpointSamples => ({
  samples: 4,
  seen: 4,
  byBeat: [2, 3, 2, 4],
  polls: 8,
  unreachable: 0,
  interrupted: 0,
  lastError: undefined,
  first: streaming,
  last: streaming,
  lastUnseen: undefined,
  ...over,
});

describe('windowFailures', () => {
  const cases: {
    name: string;
    samples: EndpointSamples;
    applyDelayMs?: number;
    expected: { type: string; detail: string }[];
  }[] = [
    { name: 'every heartbeat seen in time: nothing', samples: samples(), expected: [] },
    {
      name: 'two unseen, replay moving: lag only, counted',
      samples: samples({
        seen: 2,
        first: { ...streaming, replayLsn: '0/3000000' },
        lastUnseen: { lsn: '0/3000200' },
      }),
      expected: [
        {
          type: 'replication-lag',
          detail: `${E1} did not show 2 of 4 heartbeats within ${MAX_LAG_MS} ms`,
        },
      ],
    },
    {
      name: 'unseen while replay is paused: not replaying, and lag',
      samples: samples({ seen: 3, last: { ...streaming, replayPaused: true } }),
      expected: [
        { type: 'replica-not-replaying', detail: `${E1} has paused WAL replay` },
        expect.objectContaining({ type: 'replication-lag' }),
      ],
    },
    {
      name: 'received the unseen WAL but replay stood still: not replaying',
      samples: samples({ seen: 3, lastUnseen: { lsn: '0/3000100' } }),
      expected: [
        {
          type: 'replica-not-replaying',
          detail: `${E1} received WAL up to 0/3000100 but its replay stayed at 0/3000100`,
        },
        expect.objectContaining({ type: 'replication-lag' }),
      ],
    },
    {
      name: 'unseen, the primary never said where its WAL ends: lag, and no claim about replay',
      samples: samples({ seen: 3, lastUnseen: { lsn: null } }),
      expected: [
        {
          type: 'replication-lag',
          detail: `${E1} did not show 1 of 4 heartbeats within ${MAX_LAG_MS} ms`,
        },
      ],
    },
    {
      name: 'replay standing still under an apply delay: lag that names the delay, not a stall',
      samples: samples({ seen: 3, lastUnseen: { lsn: '0/3000100' } }),
      applyDelayMs: 5000,
      expected: [
        {
          type: 'replication-lag',
          detail: `${E1} did not show 1 of 4 heartbeats within ${MAX_LAG_MS} ms (recovery_min_apply_delay is 5000 ms)`,
        },
      ],
    },
    {
      name: 'its WAL receiver stopped: not receiving, and lag',
      samples: samples({
        seen: 3,
        first: { ...streaming, replayLsn: '0/3000000' },
        last: { ...streaming, receiverStatus: null },
      }),
      expected: [
        {
          type: 'replica-not-receiving',
          detail: `${E1} is not receiving WAL: its WAL receiver is not running`,
        },
        expect.objectContaining({ type: 'replication-lag' }),
      ],
    },
    {
      name: 'unreachable for some heartbeats: those are not lag',
      samples: samples({ seen: 2, unreachable: 2, lastError: `${E1} refused the connection` }),
      expected: [
        {
          type: 'replica-unreachable',
          detail: `${E1} refused the connection (2 of 4 heartbeats not checked)`,
        },
      ],
    },
    {
      name: 'heartbeats cut short by shutdown: neither seen nor lag',
      samples: samples({ seen: 3, interrupted: 1 }),
      expected: [],
    },
  ];
  it.each(cases)('$name', ({ samples: given, applyDelayMs = 0, expected }) => {
    const view = endpointView(E1, 'pg-1', {
      facts: replicaFacts({ apply_delay_ms: applyDelayMs }),
    });
    expect(windowFailures(view, given, MAX_LAG_MS)).toEqual(expected);
  });
});

describe("the check's assessment of a window", () => {
  const window = (endpointSamples: EndpointSamples, beatFailures: string[] = []): WindowResult => ({
    beats: [],
    beatFailures,
    events: [],
    endpoints: new Map([[E1, endpointSamples]]),
  });
  const rules = {
    maxLagMs: MAX_LAG_MS,
    expectedStandbys: 1,
    ignoredStandbys: [],
    maxSlotRetainedBytes: 1_000_000,
  };
  const facts = (view = endpointView(E1, 'pg-1')) => ({
    topology: topology({
      primary: primaryView({ standbys: [standbyRow('pg-1')] }),
      endpoints: [view],
    }),
    endpoints: 1,
  });

  it('a replica still connecting before the window that then showed every heartbeat: ok', () => {
    const connecting = endpointView(E1, 'pg-1', {
      walReceiver: walReceiver('pg-1', { status: 'starting' }),
    });
    const before = assess('health', facts(connecting), rules);
    expect(before.failures.map((f) => f.type)).toContain('replica-not-receiving');
    const verdict = assess('check', { ...facts(connecting), window: window(samples()) }, rules);
    expect(verdict.failures).toEqual([]);
    expect(verdict.endpoints[0]?.failures).toEqual([]);
  });

  it('a replica whose WAL receiver is still not streaming at the end of the window keeps the read failure', () => {
    const connecting = endpointView(E1, 'pg-1', {
      walReceiver: walReceiver('pg-1', { status: 'starting' }),
    });
    const verdict = assess(
      'check',
      {
        ...facts(connecting),
        window: window(samples({ last: { ...streaming, receiverStatus: 'starting' } })),
      },
      rules,
    );
    expect(verdict.endpoints[0]?.failures).toEqual([
      {
        type: 'replica-not-receiving',
        detail: `${E1} is not receiving WAL: its WAL receiver is starting`,
      },
    ]);
  });

  it("one failure of a type per replica: the window's, more current, replaces the read's", () => {
    const paused = endpointView(E1, 'pg-1', { facts: replicaFacts({ replay_paused: true }) });
    const verdict = assess(
      'check',
      {
        ...facts(paused),
        window: window(
          samples({
            seen: 3,
            lastUnseen: { lsn: '0/3000100' },
            last: { ...streaming, replayPaused: false },
          }),
        ),
      },
      rules,
    );
    expect(verdict.endpoints[0]?.failures).toEqual([
      {
        type: 'replica-not-replaying',
        detail: `${E1} received WAL up to 0/3000100 but its replay stayed at 0/3000100`,
      },
      expect.objectContaining({ type: 'replication-lag' }),
    ]);
    // At the top, the same failures name the replica.
    expect(verdict.failures.filter((f) => f.endpoint === E1).map((f) => f.type)).toEqual([
      'replica-not-replaying',
      'replication-lag',
    ]);
  });

  it('heartbeats the primary could not take: primary-unreachable, counted against those planned', () => {
    const verdict = assess(
      'check',
      {
        ...facts(),
        window: window(samples({ samples: 3, seen: 3 }), ['the primary refused the connection']),
        plannedBeats: 4,
      },
      rules,
    );
    expect(verdict.failures[0]).toEqual({
      type: 'primary-unreachable',
      detail: '1 of 4 heartbeats could not be written: the primary refused the connection',
    });
  });

  it('the check counts streaming standbys; the health leaves that to it', () => {
    const none = {
      topology: topology({ primary: primaryView({ standbys: [] }), endpoints: [] }),
      endpoints: 0,
    };
    const types = (purpose: 'check' | 'health') =>
      assess(purpose, none, rules).failures.map((f) => f.type);
    expect(types('check')).toContain('standbys-missing');
    expect(types('health')).not.toContain('standbys-missing');
    // Both say that no endpoint verifies the standby expected.
    expect(types('health')).toContain('endpoints-missing');
  });
});

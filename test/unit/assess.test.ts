import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../db/errors.js';
import {
  type Assessment,
  assessEndpoint,
  clusterFailures,
  type Settings,
  synchronousStandby,
} from '../../replication/assess.js';
import type { Failure } from '../../replication/reportSchema.js';
import type { PrimaryView, Topology } from '../../replication/topology.js';
import {
  endpointView,
  primaryFacts,
  primaryView,
  replicaFacts,
  SYSTEM_ID,
  slotRow,
  standbyRow,
  topology,
  walReceiver,
} from '../support/replicationFacts.js';

// Every failure rule of one replica endpoint and of the cluster, from facts
// alone: the rules the check and /status/replication share.

const ENDPOINT = '10.0.0.7:5432';
const primary = primaryView();

describe('assessEndpoint', () => {
  const cases: {
    name: string;
    view: Parameters<typeof assessEndpoint>[0];
    /** The primary's view; the default healthy one unless given (undefined: unreadable). */
    primary?: PrimaryView | undefined;
    expected: Partial<Assessment>;
  }[] = [
    {
      name: 'a healthy streaming standby: verifiable, no failures, matched by its slot',
      view: endpointView(ENDPOINT, 'pg-1'),
      expected: {
        role: 'replica',
        failures: [],
        verifiable: true,
        standby: primary.standbys[0],
      },
    },
    {
      name: 'unreachable: the reason the client gave',
      view: endpointView(ENDPOINT, 'pg-1', {
        facts: undefined,
        walReceiver: null,
        beats: undefined,
        unreachable: new DatabaseUnavailableError('replica', 'refused the connection', {
          endpoint: ENDPOINT,
        }),
      }),
      expected: {
        role: 'unknown',
        verifiable: false,
        standby: undefined,
        failures: [
          {
            type: 'replica-unreachable',
            detail: `the replica ${ENDPOINT} refused the connection`,
          },
        ],
      },
    },
    {
      name: 'unreachable without a reason',
      view: endpointView(ENDPOINT, 'pg-1', { facts: undefined, walReceiver: null }),
      expected: {
        role: 'unknown',
        verifiable: false,
        failures: [{ type: 'replica-unreachable', detail: `${ENDPOINT} could not be read` }],
      },
    },
    {
      name: 'the primary itself (after a failover): role primary, nothing to verify, no failure',
      view: endpointView(ENDPOINT, 'pg-1', { facts: primaryFacts(), walReceiver: null }),
      expected: { role: 'primary', failures: [], verifiable: false, standby: undefined },
    },
    {
      name: 'a second primary of the same cluster: replica-not-standby',
      view: endpointView(ENDPOINT, 'pg-1', {
        facts: primaryFacts({ server_identity: 'elsewhere' }),
        walReceiver: null,
      }),
      expected: {
        role: 'replica',
        verifiable: false,
        failures: [
          {
            type: 'replica-not-standby',
            detail: `${ENDPOINT} is not in recovery: it was promoted or is a second primary`,
          },
        ],
      },
    },
    {
      name: 'a standby of another cluster: different-cluster, and no timeline comparison',
      view: endpointView(ENDPOINT, 'pg-1', {
        facts: replicaFacts({ system_identifier: '42', timeline: 7 }),
      }),
      expected: {
        role: 'replica',
        verifiable: false,
        failures: [
          {
            type: 'different-cluster',
            detail: `${ENDPOINT} belongs to another cluster (system_identifier 42, primary ${SYSTEM_ID})`,
          },
        ],
      },
    },
    {
      name: 'a primary of another cluster: different-cluster and replica-not-standby',
      view: endpointView(ENDPOINT, 'pg-1', {
        facts: primaryFacts({ system_identifier: '42', server_identity: 'other' }),
        walReceiver: null,
      }),
      expected: {
        role: 'replica',
        verifiable: false,
        failures: [
          expect.objectContaining({ type: 'different-cluster' }),
          expect.objectContaining({ type: 'replica-not-standby' }),
        ],
      },
    },
    {
      name: 'another timeline: timeline-mismatch, not verifiable',
      view: endpointView(ENDPOINT, 'pg-1', { facts: replicaFacts({ timeline: 2 }) }),
      expected: {
        role: 'replica',
        verifiable: false,
        failures: [
          {
            type: 'timeline-mismatch',
            detail: `${ENDPOINT} is on timeline 2, the primary on 1`,
          },
        ],
      },
    },
    {
      name: 'no WAL receiver: replica-not-receiving (not running), still verifiable',
      view: endpointView(ENDPOINT, 'pg-1', { walReceiver: null }),
      expected: {
        role: 'replica',
        verifiable: true,
        standby: undefined,
        failures: [
          {
            type: 'replica-not-receiving',
            detail: `${ENDPOINT} is not receiving WAL: its WAL receiver is not running`,
          },
        ],
      },
    },
    {
      name: 'a WAL receiver not streaming: replica-not-receiving naming its status',
      view: endpointView(ENDPOINT, 'pg-1', {
        walReceiver: walReceiver('pg-1', { status: 'waiting' }),
      }),
      expected: {
        verifiable: true,
        failures: [
          {
            type: 'replica-not-receiving',
            detail: `${ENDPOINT} is not receiving WAL: its WAL receiver is waiting`,
          },
        ],
      },
    },
    {
      name: 'replay paused: replica-not-replaying',
      view: endpointView(ENDPOINT, 'pg-1', { facts: replicaFacts({ replay_paused: true }) }),
      expected: {
        verifiable: true,
        failures: [{ type: 'replica-not-replaying', detail: `${ENDPOINT} has paused WAL replay` }],
      },
    },
    {
      name: 'paused and not receiving: both, receiving first',
      view: endpointView(ENDPOINT, 'pg-1', {
        facts: replicaFacts({ replay_paused: true }),
        walReceiver: walReceiver('pg-1', { status: 'stopping' }),
      }),
      expected: {
        verifiable: true,
        failures: [
          expect.objectContaining({ type: 'replica-not-receiving' }),
          expect.objectContaining({ type: 'replica-not-replaying' }),
        ],
      },
    },
    {
      name: 'the primary unreadable: a streaming standby is verifiable, unmatched, without failure',
      view: endpointView(ENDPOINT, 'pg-1'),
      primary: undefined,
      expected: { role: 'replica', verifiable: true, standby: undefined, failures: [] },
    },
  ];

  it.each(cases)('$name', (testCase) => {
    const assessment = assessEndpoint(
      testCase.view,
      'primary' in testCase ? testCase.primary : primary,
    );
    const { expected } = testCase;
    expect(assessment).toMatchObject({ endpoint: ENDPOINT, ...expected });
  });
});

describe("the primary's row for an endpoint", () => {
  const byName = (name: string, over = {}) => standbyRow(name, { slot_name: null, ...over });
  const cases: {
    name: string;
    receiver: ReturnType<typeof walReceiver>;
    standbys: ReturnType<typeof standbyRow>[];
    expected: string | undefined;
  }[] = [
    {
      name: 'by its slot, whatever the names say',
      receiver: walReceiver('pg-1', { slot_name: 'slot_b', application_name: 'pg-1' }),
      standbys: [
        standbyRow('pg-1', { slot_name: 'slot_a' }),
        standbyRow('x', { slot_name: 'slot_b' }),
      ],
      expected: 'slot_b',
    },
    {
      name: 'without a slot, by a unique application_name',
      receiver: walReceiver('pg-1', { slot_name: null }),
      standbys: [byName('pg-1'), byName('pg-2')],
      expected: 'pg-1',
    },
    {
      name: 'a slot the primary does not list: by a unique application_name',
      receiver: walReceiver('pg-2', { slot_name: 'gone' }),
      standbys: [byName('pg-1'), byName('pg-2')],
      expected: 'pg-2',
    },
    {
      name: 'two standbys with the same application_name and no slot: none',
      receiver: walReceiver('pg', { slot_name: null }),
      standbys: [
        byName('pg', { client_addr: '10.0.0.7' }),
        byName('pg', { client_addr: '10.0.0.8' }),
      ],
      expected: undefined,
    },
    {
      name: 'a name the primary does not list: none',
      receiver: walReceiver('pg-9', { slot_name: null }),
      standbys: [byName('pg-1')],
      expected: undefined,
    },
  ];
  it.each(cases)('$name', ({ receiver, standbys, expected }) => {
    const { standby } = assessEndpoint(
      endpointView(ENDPOINT, 'pg-1', { walReceiver: receiver }),
      primaryView({ standbys }),
    );
    expect(standby?.slot_name ?? standby?.application_name).toBe(expected);
  });
});

describe('synchronousStandby', () => {
  const cases = [
    {
      name: 'none named',
      names: '',
      commit: 'on',
      sync: 'async',
      expected: { expected: false, present: false },
    },
    {
      name: 'only blanks named',
      names: '  ',
      commit: 'on',
      sync: 'async',
      expected: { expected: false, present: false },
    },
    {
      name: 'named, commit on, none sync',
      names: 'ghost',
      commit: 'on',
      sync: 'async',
      expected: { expected: true, present: false },
    },
    {
      name: 'named, remote_apply',
      names: 'ANY 1 (a, b)',
      commit: 'remote_apply',
      sync: 'potential',
      expected: { expected: true, present: false },
    },
    {
      name: 'named, commit local: commits do not wait',
      names: 'ghost',
      commit: 'local',
      sync: 'async',
      expected: { expected: false, present: false },
    },
    {
      name: 'named, commit off',
      names: 'ghost',
      commit: 'off',
      sync: 'async',
      expected: { expected: false, present: false },
    },
    {
      name: 'a sync standby present',
      names: 'pg-1',
      commit: 'on',
      sync: 'sync',
      expected: { expected: true, present: true },
    },
    {
      name: 'a quorum standby present',
      names: 'ANY 1 (pg-1)',
      commit: 'on',
      sync: 'quorum',
      expected: { expected: true, present: true },
    },
  ];
  it.each(cases)('$name', ({ names, commit, sync, expected }) => {
    const view = primaryView({
      facts: primaryFacts({ synchronous_standby_names: names, synchronous_commit: commit }),
      standbys: [standbyRow('pg-1', { sync_state: sync })],
    });
    expect(synchronousStandby(view)).toEqual(expected);
  });

  it('without a primary: nothing expected, nothing present', () => {
    expect(synchronousStandby(undefined)).toEqual({ expected: false, present: false });
  });
});

describe('clusterFailures', () => {
  const settings: Settings = {
    expectedStandbys: 2,
    ignoredStandbys: [],
    maxSlotRetainedBytes: 1000,
  };
  const cases: {
    name: string;
    topology: Topology;
    settings?: Partial<Settings>;
    expected: Failure[];
  }[] = [
    { name: 'a healthy cluster', topology: topology(), expected: [] },
    {
      name: 'the primary unreachable: its reason, and nothing else',
      topology: topology({
        primary: undefined,
        primaryUnreachable: new DatabaseUnavailableError('primary', 'did not answer in time'),
      }),
      expected: [
        { type: 'primary-unreachable', detail: 'the primary database did not answer in time' },
      ],
    },
    {
      name: 'the primary unreachable without a reason',
      topology: topology({ primary: undefined }),
      expected: [{ type: 'primary-unreachable', detail: 'the primary could not be read' }],
    },
    {
      name: 'the primary in recovery: that alone, though no standby streams from it',
      topology: topology({
        primary: primaryView({
          facts: primaryFacts({ in_recovery: true, synchronous_standby_names: 'ghost' }),
          standbys: [],
        }),
      }),
      expected: [
        {
          type: 'primary-in-recovery',
          detail: 'the primary is in recovery: it is a standby, not a primary',
        },
      ],
    },
    {
      name: 'a synchronous standby named but absent',
      topology: topology({
        primary: primaryView({ facts: primaryFacts({ synchronous_standby_names: 'ghost' }) }),
      }),
      expected: [
        {
          type: 'synchronous-standby-missing',
          detail:
            "synchronous_standby_names is 'ghost' but no standby is synchronous: commits would hang",
        },
      ],
    },
    {
      name: 'fewer standbys streaming than expected',
      topology: topology(),
      settings: { expectedStandbys: 3 },
      expected: [
        { type: 'standbys-missing', detail: '2 standby(s) streaming from the primary, 3 expected' },
      ],
    },
    {
      name: 'a standby catching up does not count as streaming',
      topology: topology({
        primary: primaryView({
          standbys: [standbyRow('pg-1'), standbyRow('pg-2', { state: 'catchup' })],
        }),
      }),
      expected: [
        { type: 'standbys-missing', detail: '1 standby(s) streaming from the primary, 2 expected' },
      ],
    },
    {
      name: 'an ignored standby does not count as streaming',
      topology: topology(),
      settings: { ignoredStandbys: ['pg-2'] },
      expected: [
        { type: 'standbys-missing', detail: '1 standby(s) streaming from the primary, 2 expected' },
      ],
    },
    {
      name: 'a lost slot and an unreserved one',
      topology: topology({
        primary: primaryView({
          slots: [slotRow('a', { wal_status: 'lost' }), slotRow('b', { wal_status: 'unreserved' })],
        }),
      }),
      expected: [
        {
          type: 'slot-lost',
          detail: 'replication slot a is lost: the WAL its standby needs is gone',
        },
        {
          type: 'slot-lost',
          detail:
            'replication slot b is unreserved: the WAL its standby needs is about to be removed',
        },
      ],
    },
    {
      name: 'an inactive slot over the retention limit; one at the limit and an active one over it pass',
      topology: topology({
        primary: primaryView({
          slots: [
            slotRow('over', { active: false, retained_wal_bytes: 1001 }),
            slotRow('at', { active: false, retained_wal_bytes: 1000 }),
            slotRow('active', { active: true, retained_wal_bytes: 10_000 }),
            slotRow('unknown', { active: false, retained_wal_bytes: null }),
          ],
        }),
      }),
      expected: [
        {
          type: 'slot-retention',
          detail: 'inactive replication slot over retains 1001 bytes of WAL (limit 1000)',
        },
      ],
    },
  ];
  it.each(cases)('$name', ({ topology: given, settings: over, expected }) => {
    expect(clusterFailures(given, { ...settings, ...over })).toEqual(expected);
  });
});

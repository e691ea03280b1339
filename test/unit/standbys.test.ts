import { describe, expect, it } from 'vitest';
import type { StandbyRow } from '../../db/replicationQueries.js';
import type { Assessment } from '../../replication/assess.js';
import type { Failure } from '../../replication/reportSchema.js';
import {
  type StandbyFacts,
  type StandbyRules,
  standbyFailures,
  standbyKey,
  verifiedStandbys,
} from '../../replication/standbys.js';
import { endpointView, standbyRow } from '../support/replicationFacts.js';

// Every standby the primary reports is verified, ignored, or a failure; the
// primary's own figures for it count unless an endpoint already failed it.

const rules: StandbyRules = { maxLagMs: 1000, ignoredStandbys: [], expectedStandbys: 1 };
const pg1 = standbyRow('pg-1');
const verifiedOk = (...rows: StandbyRow[]) =>
  new Map(rows.map((row) => [standbyKey(row), { ok: true }]));
const verifiedFailed = (...rows: StandbyRow[]) =>
  new Map(rows.map((row) => [standbyKey(row), { ok: false }]));
// pg-1 replayed nothing during the window while the primary wrote on.
const stalledBefore = standbyRow('pg-1', { replay_lsn: '0/3000000', replay_lag_bytes: 100 });
const stalledAfter = standbyRow('pg-1', { replay_lsn: '0/3000000', replay_lag_bytes: 400 });

const cases: {
  name: string;
  facts: StandbyFacts;
  rules?: Partial<StandbyRules>;
  expected: Failure[];
}[] = [
  {
    name: 'one verified, healthy standby',
    facts: { standbys: [pg1], verified: verifiedOk(pg1), endpoints: 1 },
    expected: [],
  },
  {
    name: 'unverified: named with what the primary sees',
    facts: {
      standbys: [standbyRow('pg-1', { replay_lag_ms: 12.34, replay_lag_bytes: 56 })],
      verified: new Map(),
      endpoints: 1,
    },
    expected: [
      {
        type: 'standby-unverified',
        standby: 'pg-1',
        detail:
          'standby pg-1 (10.0.0.7) streams from the primary but no endpoint verifies it; the primary sees replay lag 12.3 ms, 56 bytes behind',
      },
    ],
  },
  {
    name: 'unverified over a local socket, figures unknown',
    facts: {
      standbys: [
        standbyRow('pg-1', { client_addr: null, replay_lag_ms: null, replay_lag_bytes: null }),
      ],
      verified: new Map(),
      endpoints: 1,
    },
    expected: [
      {
        type: 'standby-unverified',
        standby: 'pg-1',
        detail:
          'standby pg-1 (local socket) streams from the primary but no endpoint verifies it; the primary sees replay lag unknown, unknown bytes behind',
      },
    ],
  },
  {
    name: 'ignored by configuration: nothing, though unverified and lagging',
    facts: {
      standbys: [pg1, standbyRow('pg_receivewal', { replay_lag_ms: 99_999 })],
      verified: verifiedOk(pg1),
      endpoints: 1,
    },
    rules: { ignoredStandbys: ['pg_receivewal'] },
    expected: [],
  },
  {
    name: 'stalled: replay stood still while it fell further behind',
    facts: {
      standbys: [stalledAfter],
      before: [stalledBefore],
      verified: verifiedOk(stalledAfter),
      endpoints: 1,
    },
    expected: [
      {
        type: 'standby-stalled',
        standby: 'pg-1',
        detail:
          'standby pg-1 (10.0.0.7) replayed nothing during the window: the primary sees its replay stand at 0/3000000 while it fell from 100 to 400 bytes behind',
      },
    ],
  },
  {
    name: 'not stalled when it replayed (its position moved)',
    facts: {
      standbys: [standbyRow('pg-1', { replay_lsn: '0/3000100', replay_lag_bytes: 400 })],
      before: [stalledBefore],
      verified: verifiedOk(pg1),
      endpoints: 1,
    },
    expected: [],
  },
  {
    name: 'not stalled when nothing was written (bytes behind did not grow)',
    facts: {
      standbys: [standbyRow('pg-1', { replay_lsn: '0/3000000', replay_lag_bytes: 100 })],
      before: [stalledBefore],
      verified: verifiedOk(pg1),
      endpoints: 1,
    },
    expected: [],
  },
  {
    name: 'not stalled without a reading before the window',
    facts: { standbys: [stalledAfter], verified: verifiedOk(stalledAfter), endpoints: 1 },
    expected: [],
  },
  {
    name: 'not stalled when the replay position is unknown',
    facts: {
      standbys: [standbyRow('pg-1', { replay_lsn: null, replay_lag_bytes: 400 })],
      before: [standbyRow('pg-1', { replay_lsn: null, replay_lag_bytes: 100 })],
      verified: verifiedOk(pg1),
      endpoints: 1,
    },
    expected: [],
  },
  {
    name: 'stalled and unverified: both',
    facts: { standbys: [stalledAfter], before: [stalledBefore], verified: new Map(), endpoints: 1 },
    expected: [
      expect.objectContaining({ type: 'standby-unverified', standby: 'pg-1' }),
      expect.objectContaining({ type: 'standby-stalled', standby: 'pg-1' }),
    ],
  },
  {
    name: 'lagging: the primary measures replay lag over the threshold',
    facts: {
      standbys: [standbyRow('pg-1', { replay_lag_ms: 1000.6 })],
      verified: verifiedOk(pg1),
      endpoints: 1,
    },
    expected: [
      {
        type: 'standby-lagging',
        standby: 'pg-1',
        detail:
          'the primary measures standby pg-1 (10.0.0.7) 1001 ms behind in replay (over 1000 ms)',
      },
    ],
  },
  {
    name: 'not lagging at exactly the threshold',
    facts: {
      standbys: [standbyRow('pg-1', { replay_lag_ms: 1000 })],
      verified: verifiedOk(pg1),
      endpoints: 1,
    },
    expected: [],
  },
  {
    name: 'not lagging when the primary does not know',
    facts: {
      standbys: [standbyRow('pg-1', { replay_lag_ms: null })],
      verified: verifiedOk(pg1),
      endpoints: 1,
    },
    expected: [],
  },
  {
    name: 'stalled wins over lagging: one failure for one standby',
    facts: {
      standbys: [{ ...stalledAfter, replay_lag_ms: 5000 }],
      before: [stalledBefore],
      verified: verifiedOk(stalledAfter),
      endpoints: 1,
    },
    expected: [expect.objectContaining({ type: 'standby-stalled' })],
  },
  {
    name: 'verified but failed by its endpoint: the primary’s figures are not repeated',
    facts: {
      standbys: [{ ...stalledAfter, replay_lag_ms: 5000 }],
      before: [stalledBefore],
      verified: verifiedFailed(stalledAfter),
      endpoints: 1,
    },
    expected: [],
  },
  {
    name: 'fewer endpoints than standbys expected: endpoints-missing',
    facts: { standbys: [pg1], verified: verifiedOk(pg1), endpoints: 1 },
    rules: { expectedStandbys: 2 },
    expected: [
      {
        type: 'endpoints-missing',
        detail:
          '1 replica endpoint(s) verified, 2 standbys expected: list every standby in POSTGRES_REPLICA_ENDPOINTS',
      },
    ],
  },
  {
    name: 'as many endpoints as standbys expected: nothing',
    facts: { standbys: [], verified: new Map(), endpoints: 2 },
    rules: { expectedStandbys: 2 },
    expected: [],
  },
  {
    name: 'a standby that reconnected (same name, address and slot) is the same standby',
    facts: {
      standbys: [stalledAfter],
      before: [{ ...stalledBefore }],
      verified: verifiedOk(standbyRow('pg-1')),
      endpoints: 1,
    },
    expected: [expect.objectContaining({ type: 'standby-stalled' })],
  },
  {
    name: 'a standby at another address is another standby: unverified',
    facts: {
      standbys: [standbyRow('pg-1', { client_addr: '10.0.0.9' })],
      verified: verifiedOk(pg1),
      endpoints: 1,
    },
    expected: [expect.objectContaining({ type: 'standby-unverified', standby: 'pg-1' })],
  },
];

describe('standbyFailures', () => {
  it.each(cases)('$name', ({ facts, rules: over, expected }) => {
    expect(standbyFailures(facts, { ...rules, ...over })).toEqual(expected);
  });
});

describe('verifiedStandbys', () => {
  const assessment = (endpoint: string, verifiable = true): Assessment => ({
    endpoint,
    role: 'replica',
    standby: undefined,
    failures: [],
    verifiable,
  });
  const pg2 = standbyRow('pg-2');
  const a = endpointView('a', 'pg-1');
  const b = endpointView('b', 'pg-2');

  it.each([
    {
      name: 'each verifiable endpoint matched to a row, with whether it was found healthy',
      views: [a, b],
      assessments: [assessment('a'), assessment('b')],
      replicas: [
        { endpoint: 'a', ok: true },
        { endpoint: 'b', ok: false },
      ],
      rows: [pg1, pg2],
      expected: [
        [standbyKey(pg1), { ok: true }],
        [standbyKey(pg2), { ok: false }],
      ],
    },
    {
      name: 'not an endpoint that cannot be verified, nor one the rows do not hold',
      views: [a, b],
      assessments: [assessment('a', false), assessment('b')],
      replicas: [
        { endpoint: 'a', ok: true },
        { endpoint: 'b', ok: true },
      ],
      rows: [pg1],
      expected: [],
    },
    {
      name: 'matched against the rows judged: a standby that had no slot yet when the window began',
      views: [a],
      assessments: [assessment('a')],
      replicas: [{ endpoint: 'a', ok: true }],
      rows: [standbyRow('pg-1')],
      expected: [[standbyKey(standbyRow('pg-1')), { ok: true }]],
    },
    {
      name: 'an endpoint without a replica entry counts as failed',
      views: [a],
      assessments: [assessment('a')],
      replicas: [],
      rows: [pg1],
      expected: [[standbyKey(pg1), { ok: false }]],
    },
  ])('$name', ({ views, assessments, replicas, rows, expected }) => {
    expect([...verifiedStandbys(views, assessments, replicas, rows)]).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { type LagSummary, summarise, UNKNOWN_LAG } from '../../replication/lagSummary.js';
import { knownLags } from '../../replication/sampler.js';

// Nearest-rank percentiles of one replica's window, in heartbeat order, as the
// check computes them: summarise(knownLags(byBeat), seen). byBeat holds the lag
// of each heartbeat shown, the time waited for one not shown within the
// threshold (a lower bound), and null for one that could not be checked.

const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
const THRESHOLD = 1000;

const cases: { name: string; byBeat: (number | null)[]; seen: number; expected: LagSummary }[] = [
  {
    name: '1..10: p50 5, p90 9, p99 10',
    byBeat: oneToTen,
    seen: 10,
    expected: { last: 10, p50: 5, p90: 9, p99: 10, max: 10 },
  },
  {
    name: '1..10 out of order: the same ranks, last in heartbeat order',
    byBeat: [10, 3, 7, 1, 9, 5, 2, 8, 6, 4],
    seen: 10,
    expected: { last: 4, p50: 5, p90: 9, p99: 10, max: 10 },
  },
  {
    name: '1..100: p50 50, p90 90, p99 99 (nearest rank, not the max)',
    byBeat: oneToHundred,
    seen: 100,
    expected: { last: 100, p50: 50, p90: 90, p99: 99, max: 100 },
  },
  {
    // p × n = 5.4: the 6th value (rank rounded up), not the 5th (rounded off).
    name: '1..6: p90 is the 6th value',
    byBeat: [1, 2, 3, 4, 5, 6],
    seen: 6,
    expected: { last: 6, p50: 3, p90: 6, p99: 6, max: 6 },
  },
  {
    name: '1..8: p50 the 4th, p90 the 8th (p × n = 7.2)',
    byBeat: [1, 2, 3, 4, 5, 6, 7, 8],
    seen: 8,
    expected: { last: 8, p50: 4, p90: 8, p99: 8, max: 8 },
  },
  {
    name: 'one value: every figure is it',
    byBeat: [7.5],
    seen: 1,
    expected: { last: 7.5, p50: 7.5, p90: 7.5, p99: 7.5, max: 7.5 },
  },
  {
    name: 'two values: p50 the lower, p90 and p99 the higher',
    byBeat: [3, 8],
    seen: 2,
    expected: { last: 8, p50: 3, p90: 8, p99: 8, max: 8 },
  },
  {
    name: 'two values, the higher first: last is the later heartbeat',
    byBeat: [8, 3],
    seen: 2,
    expected: { last: 3, p50: 3, p90: 8, p99: 8, max: 8 },
  },
  {
    name: 'rounded to the microsecond',
    byBeat: [1.23456, 2.0004],
    seen: 2,
    expected: { last: 2, p50: 1.235, p90: 2, p99: 2, max: 2 },
  },
  {
    name: 'nothing seen: unknown throughout, though the time waited is known',
    byBeat: [THRESHOLD, THRESHOLD + 3],
    seen: 0,
    expected: UNKNOWN_LAG,
  },
  { name: 'no heartbeat: unknown throughout', byBeat: [], seen: 0, expected: UNKNOWN_LAG },
  {
    name: 'none could be checked (unreachable): unknown throughout',
    byBeat: [null, null],
    seen: 0,
    expected: UNKNOWN_LAG,
  },
  {
    name: 'heartbeats that could not be checked are left out, not counted as 0',
    byBeat: [null, 4, null, 6],
    seen: 2,
    expected: { last: 6, p50: 4, p90: 6, p99: 6, max: 6 },
  },
  {
    name: 'some shown in time, one of ten missed: p99 and max are the wait, p90 is not',
    byBeat: [2, 3, 2, THRESHOLD + 1, 2, 3, 2, 3, 2, 3],
    seen: 9,
    expected: { last: 3, p50: 2, p90: 3, p99: THRESHOLD + 1, max: THRESHOLD + 1 },
  },
  {
    name: 'two of twenty missed: p99 and max the longer wait, p90 the last one seen in time',
    byBeat: [
      ...Array.from({ length: 10 }, () => 2),
      THRESHOLD + 2,
      ...Array.from({ length: 8 }, () => 4),
      THRESHOLD + 7,
    ],
    seen: 18,
    expected: { last: THRESHOLD + 7, p50: 2, p90: 4, p99: THRESHOLD + 7, max: THRESHOLD + 7 },
  },
  {
    name: 'most missed: p50 is the wait too',
    byBeat: [5, THRESHOLD, THRESHOLD, THRESHOLD],
    seen: 1,
    expected: { last: THRESHOLD, p50: THRESHOLD, p90: THRESHOLD, p99: THRESHOLD, max: THRESHOLD },
  },
];

describe('summarise', () => {
  it.each(cases)('$name', ({ byBeat, seen, expected }) => {
    expect(summarise(knownLags(byBeat), seen)).toEqual(expected);
  });

  it('does not reorder the values it is given', () => {
    const values = [3, 1, 2];
    summarise(values, 3);
    expect(values).toEqual([3, 1, 2]);
  });

  it('orders numerically, not as text', () => {
    expect(summarise([9, 10, 100], 3)).toMatchObject({ p50: 10, max: 100 });
  });
});

import { describe, expect, it } from 'vitest';
import { nextPollDelayMs } from '../replication/sampler.js';

// The sampling window's poll schedule: millisecond polls around the lag a
// replica is expected to show, never a gap over 5 ms once a heartbeat is due.
describe('nextPollDelayMs', () => {
  it.each([
    { name: 'healthy replica, just committed', waited: 0, expected: 2, delay: 1 },
    {
      name: 'late replica, just committed: sleep to 1 % before',
      waited: 0,
      expected: 1000,
      delay: 990,
    },
    { name: 'late replica, halfway', waited: 500, expected: 1000, delay: 490 },
    { name: 'late replica, around the expected moment', waited: 995, expected: 1000, delay: 1 },
    { name: 'late replica, just past it', waited: 1017, expected: 1000, delay: 1 },
    { name: 'later than expected: back off by 1/20', waited: 1040, expected: 1000, delay: 2 },
    { name: 'much later than expected: capped', waited: 3000, expected: 1000, delay: 5 },
    { name: 'no history, just committed', waited: 0, expected: undefined, delay: 1 },
    { name: 'no history, 60 ms in', waited: 60, expected: undefined, delay: 3 },
    { name: 'no history, long wait: capped', waited: 2000, expected: undefined, delay: 5 },
  ])('$name → $delay ms', ({ waited, expected, delay }) => {
    expect(nextPollDelayMs(waited, expected)).toBeCloseTo(delay, 6);
  });

  it('never leaves a gap over 5 ms once the expected moment has come, at any lag', () => {
    for (const expected of [undefined, 1, 10, 300, 1000, 5000, 60_000]) {
      for (let waited = expected ?? 0; waited < (expected ?? 0) + 10_000; waited += 7) {
        const delay = nextPollDelayMs(waited, expected);
        expect(delay).toBeGreaterThanOrEqual(1);
        expect(delay).toBeLessThanOrEqual(5);
      }
    }
  });
});

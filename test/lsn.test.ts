import { describe, expect, it } from 'vitest';
import { bytesToLsn, isLsn, lsnToBytes, replayTarget } from '../db/lsn.js';

describe('WAL positions', () => {
  it.each(['0/0', '0/1926018', '16/B374D848', '1FFFFF/FFFFFFFF'])(
    '%s survives bytes and back',
    (lsn) => {
      expect(bytesToLsn(lsnToBytes(lsn))).toBe(lsn);
      expect(isLsn(lsn)).toBe(true);
    },
  );

  it.each([
    // past a short page header (24 bytes): the page start proves the write replayed
    ['0/1926018', '0/1926000'],
    // past a long page header at a segment start (40 bytes)
    ['0/2000028', '0/2000000'],
    // inside a page: unchanged
    ['0/1926100', '0/1926100'],
    ['0/1925FF8', '0/1925FF8'],
  ])('waits for %s by replaying %s', (lsn, target) => {
    expect(replayTarget(lsn)).toBe(target);
  });
});

import { describe, expect, it } from 'vitest';
import { bytesToLsn, isLsn, lsnDiffBytes, lsnToBytes, replayTarget } from '../db/lsn.js';

describe('WAL positions', () => {
  it.each([
    '0/0',
    '0/1926018',
    '16/B374D848',
    '1FFFFF/FFFFFFFF',
    '200000/1',
    'FFFFFFFF/FFFFFFFE',
    'FFFFFFFF/FFFFFFFF',
  ])('%s survives bytes and back', (lsn) => {
    expect(bytesToLsn(lsnToBytes(lsn))).toBe(lsn);
    expect(isLsn(lsn)).toBe(true);
  });

  it('is exact over the whole 64-bit range', () => {
    expect(lsnToBytes('FFFFFFFF/FFFFFFFF')).toBe(2n ** 64n - 1n);
    // Neighbours past 2^53, which floating point cannot tell apart.
    expect(lsnToBytes('FFFFFFFF/FFFFFFFF') > lsnToBytes('FFFFFFFF/FFFFFFFE')).toBe(true);
    expect(lsnDiffBytes('FFFFFFFF/FFFFFFFF', 'FFFFFFFF/FFFFFFFE')).toBe(1);
    expect(lsnDiffBytes('FFFFFFFF/FFFFFFFF', 'FFFFFFFF/0')).toBe(0xffff_ffff);
    expect(lsnDiffBytes('FFFFFFFE/FFFFFFFF', 'FFFFFFFF/0')).toBe(-1);
    expect(lsnDiffBytes('200000/0', '1FFFFF/FFFFFFFF')).toBe(1);
  });

  it.each([
    // past a short page header (24 bytes): the page start proves the write replayed
    ['0/1926018', '0/1926000'],
    // past a long page header at a segment start (40 bytes)
    ['0/2000028', '0/2000000'],
    // inside a page: unchanged
    ['0/1926100', '0/1926100'],
    ['0/1925FF8', '0/1925FF8'],
    // the largest positions: the last page's end is inside a page, its header is not
    ['FFFFFFFF/FFFFFFFF', 'FFFFFFFF/FFFFFFFF'],
    ['FFFFFFFF/FFFFE018', 'FFFFFFFF/FFFFE000'],
    ['FFFFFFFF/FF000028', 'FFFFFFFF/FF000000'],
  ])('waits for %s by replaying %s', (lsn, target) => {
    expect(replayTarget(lsn)).toBe(target);
    expect(isLsn(replayTarget(lsn))).toBe(true);
  });
});

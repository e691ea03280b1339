import { describe, expect, it } from 'vitest';
import { bytesToLsn, isLsn, lsnDiffBytes, lsnToBytes } from '../../db/lsn.js';

// WAL positions: parse, format and difference, exact over the 64-bit range.
// (Page-boundary replay targets: test/lsn.test.ts.)

const MAX = 2n ** 64n - 1n;

describe('isLsn', () => {
  it.each([
    ['0/0', true],
    ['0/3000148', true],
    ['16/b374d848', true],
    ['FFFFFFFF/FFFFFFFF', true],
    ['00000000/00000000', true],
    ['', false],
    ['0', false],
    ['/0', false],
    ['0/', false],
    ['1FFFFFFFF/0', false],
    ['0/1FFFFFFFF', false],
    ['0/G', false],
    ['-1/0', false],
    [' 0/0', false],
    ['0/0 ', false],
    ['0/0/0', false],
    ['0x0/0', false],
  ])('%s: %s', (lsn, expected) => {
    expect(isLsn(lsn)).toBe(expected);
  });
});

describe('lsnToBytes and bytesToLsn', () => {
  it.each([
    ['0/0', 0n, '0/0'],
    ['0/1', 1n, '0/1'],
    ['0/FFFFFFFF', 0xffff_ffffn, '0/FFFFFFFF'],
    ['1/0', 2n ** 32n, '1/0'],
    ['16/B374D848', 0x16_b374_d848n, '16/B374D848'],
    // lower case and leading zeros parse; PostgreSQL's form comes back
    ['16/b374d848', 0x16_b374_d848n, '16/B374D848'],
    ['00000001/00000001', 2n ** 32n + 1n, '1/1'],
    // past 2^53, where a Number would round
    ['1FFFFF/FFFFFFFF', 2n ** 53n - 1n, '1FFFFF/FFFFFFFF'],
    ['200000/0', 2n ** 53n, '200000/0'],
    ['200000/1', 2n ** 53n + 1n, '200000/1'],
    ['FFFFFFFF/FFFFFFFE', MAX - 1n, 'FFFFFFFF/FFFFFFFE'],
    ['FFFFFFFF/FFFFFFFF', MAX, 'FFFFFFFF/FFFFFFFF'],
  ])('%s is %s bytes, printed %s', (lsn, bytes, printed) => {
    expect(lsnToBytes(lsn)).toBe(bytes);
    expect(bytesToLsn(bytes)).toBe(printed);
  });
});

describe('lsnDiffBytes', () => {
  it.each([
    ['0/3000148', '0/3000148', 0],
    ['0/3000148', '0/3000000', 0x148],
    ['0/3000000', '0/3000148', -0x148],
    ['1/0', '0/FFFFFFFF', 1],
    ['0/FFFFFFFF', '1/0', -1],
    ['FFFFFFFF/FFFFFFFF', 'FFFFFFFF/FFFFFFFE', 1],
    ['FFFFFFFF/FFFFFFFF', 'FFFFFFFF/0', 0xffff_ffff],
    ['FFFFFFFE/FFFFFFFF', 'FFFFFFFF/0', -1],
    ['200000/0', '1FFFFF/FFFFFFFF', 1],
    ['FFFFFFFF/FFFFFFFF', '0/0', Number(MAX)],
  ])('%s − %s = %s', (to, from, expected) => {
    expect(lsnDiffBytes(to, from)).toBe(expected);
  });
});

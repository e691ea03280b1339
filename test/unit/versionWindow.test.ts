import { describe, expect, it } from 'vitest';
import {
  acceptedValues,
  afterLatestRead,
  afterPreviousRead,
  type KnownVersion,
  type PreviousReadOutcome,
  type VersionWindow,
} from '../../secrets/versionWindow.js';

// Which values of a `latest` secret reference are accepted: latest (N) and,
// during a rotation window, N−1, never a value not known to be one of them.

const v = (version: number, value = `pw${version}`): KnownVersion => ({ version, value });
const window = (latest: KnownVersion, previous?: KnownVersion): VersionWindow => ({
  latest,
  previous,
});

describe('afterLatestRead', () => {
  it.each([
    {
      name: 'unchanged: keeps the previous it knew',
      before: window(v(5), v(4)),
      read: v(5),
      expected: window(v(5), v(4)),
    },
    {
      name: 'moved by one: the former latest becomes N−1',
      before: window(v(5), v(4)),
      read: v(6),
      expected: window(v(6), v(5)),
    },
    {
      name: 'moved by one from a lone latest',
      before: window(v(1)),
      read: v(2),
      expected: window(v(2), v(1)),
    },
    {
      name: 'moved by two: N−1 is unknown until read (never the old N−2 or N)',
      before: window(v(5), v(4)),
      read: v(7),
      expected: window(v(7)),
    },
    {
      name: 'moved back (a version disabled, latest now older): the known N−1 only',
      before: window(v(5), v(4)),
      read: v(4),
      expected: window(v(4)),
    },
    {
      name: 'moved back by one more: the earlier previous cannot be N−1',
      before: window(v(5), v(4)),
      read: v(3),
      expected: window(v(3)),
    },
  ])('$name', ({ before, read, expected }) => {
    expect(afterLatestRead(before, read)).toEqual(expected);
  });
});

describe('afterPreviousRead', () => {
  const cases: {
    name: string;
    before: VersionWindow;
    outcome: PreviousReadOutcome;
    expected: VersionWindow;
  }[] = [
    {
      name: 'N−1 read: accepted beside N',
      before: window(v(5)),
      outcome: { kind: 'value', known: v(4) },
      expected: window(v(5), v(4)),
    },
    {
      name: 'N−1 read with the same value as N: nothing more to accept',
      before: window(v(5)),
      outcome: { kind: 'value', known: v(4, 'pw5') },
      expected: window(v(5)),
    },
    {
      name: 'a read of an older version, begun before latest moved: ignored',
      before: window(v(6), v(5)),
      outcome: { kind: 'value', known: v(4) },
      expected: window(v(6), v(5)),
    },
    {
      name: 'a read of a newer version than N−1: ignored',
      before: window(v(5)),
      outcome: { kind: 'value', known: v(5) },
      expected: window(v(5)),
    },
    {
      name: 'N−1 gone (disabled or destroyed): the window is over',
      before: window(v(5), v(4)),
      outcome: { kind: 'gone', version: 4 },
      expected: window(v(5)),
    },
    {
      name: 'another version gone: ignored',
      before: window(v(5), v(4)),
      outcome: { kind: 'gone', version: 3 },
      expected: window(v(5), v(4)),
    },
    {
      name: 'a read that failed otherwise says nothing: keep what is known',
      before: window(v(5), v(4)),
      outcome: { kind: 'unknown' },
      expected: window(v(5), v(4)),
    },
  ];
  it.each(cases)('$name', ({ before, outcome, expected }) => {
    expect(afterPreviousRead(before, outcome)).toEqual(expected);
  });
});

describe('acceptedValues', () => {
  it.each([
    { name: 'latest alone', given: window(v(5)), expected: ['pw5'] },
    { name: 'latest and N−1, latest first', given: window(v(5), v(4)), expected: ['pw5', 'pw4'] },
    {
      name: 'N−1 with the same value: once',
      given: window(v(5), v(4, 'pw5')),
      expected: ['pw5'],
    },
  ])('$name', ({ given, expected }) => {
    expect(acceptedValues(given)).toEqual(expected);
  });

  it('a rotation end to end: 1 → 2 accepts both; 2 → 4 accepts only 4 until 3 is read; 3 disabled: 4 alone', () => {
    let w = window(v(1));
    w = afterLatestRead(w, v(2));
    expect(acceptedValues(w)).toEqual(['pw2', 'pw1']);
    w = afterLatestRead(w, v(4));
    expect(acceptedValues(w)).toEqual(['pw4']);
    w = afterPreviousRead(w, { kind: 'value', known: v(3) });
    expect(acceptedValues(w)).toEqual(['pw4', 'pw3']);
    w = afterPreviousRead(w, { kind: 'gone', version: 3 });
    expect(acceptedValues(w)).toEqual(['pw4']);
  });
});

import type { IncomingMessage } from 'node:http';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type Credentials, createAuthoriser } from '../../http/basicAuth.js';

// Every comparison goes through timingSafeEqual: counted here to pin that no
// accepted pair and no part of one is skipped, whatever matched first.
const crypto = vi.hoisted(() => ({ calls: [] as [number, number][] }));
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return {
    ...original,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      crypto.calls.push([a.byteLength, b.byteLength]);
      return original.timingSafeEqual(a, b);
    },
  };
});

const USER = 'api-user';
const PASSWORD = 'correct horse: battery staple';
const accepted: Credentials[] = [{ username: USER, password: PASSWORD }];
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const request = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

/**
 * Every form of the header the parser accepts, for one user:password. Base64
 * without its padding only where the token has padding to drop.
 */
const forms = (userPass: string) => {
  const token = b64(userPass);
  const unpadded = token.replace(/=+$/, '');
  return [
    { form: 'canonical', header: `Basic ${token}` },
    { form: 'lower-case scheme', header: `basic ${token}` },
    { form: 'upper-case scheme', header: `BASIC ${token}` },
    { form: 'several spaces', header: `Basic    ${token}` },
    { form: 'a tab', header: `Basic\t${token}` },
    { form: 'trailing blanks', header: `Basic ${token}  ` },
    ...(unpadded === token ? [] : [{ form: 'no padding', header: `Basic ${unpadded}` }]),
  ];
};

describe('the forms of the Authorization header', () => {
  it('the right pair has padding to drop, so that form is tested', () => {
    expect(forms(`${USER}:${PASSWORD}`).map(({ form }) => form)).toContain('no padding');
  });

  const authorise = createAuthoriser(() => accepted);

  it.each(forms(`${USER}:${PASSWORD}`))('$form, right pair: accepted', ({ header }) => {
    expect(authorise(request(header))).toBeUndefined();
  });

  const wrongUsers = [
    ['another user', 'someone-else'],
    ['the user in other case', USER.toUpperCase()],
    ['a prefix of the user', USER.slice(0, -1)],
    ['the user with a blank', `${USER} `],
    ['no user', ''],
  ];
  for (const [why, username] of wrongUsers) {
    it.each(forms(`${username}:${PASSWORD}`))(
      `$form, the right password with ${why}: rejected`,
      ({ header }) => {
        expect(authorise(request(header))).toBe('rejected');
      },
    );
  }

  it.each(forms(`${USER}:${PASSWORD.slice(0, -1)}`))(
    '$form, the right user with a wrong password: rejected',
    ({ header }) => {
      expect(authorise(request(header))).toBe('rejected');
    },
  );

  it.each([
    { name: 'no header', header: undefined, expected: 'missing' },
    { name: 'an empty header', header: '', expected: 'malformed' },
    {
      name: 'another scheme',
      header: `Bearer ${b64(`${USER}:${PASSWORD}`)}`,
      expected: 'malformed',
    },
    { name: 'the scheme alone', header: 'Basic', expected: 'malformed' },
    {
      name: 'no blank after the scheme',
      header: `Basic${b64(`${USER}:${PASSWORD}`)}`,
      expected: 'malformed',
    },
    { name: 'not base64', header: 'Basic not*base64', expected: 'malformed' },
    {
      name: 'no colon in the credentials',
      header: `Basic ${b64('no-colon-at-all')}`,
      expected: 'malformed',
    },
    {
      name: 'two tokens',
      header: `Basic ${b64(`${USER}:${PASSWORD}`)} extra`,
      expected: 'malformed',
    },
    // The user is everything before the first colon; the rest is the password.
    {
      name: 'the colon moved into the user',
      header: `Basic ${b64(`${USER}:correct horse:: battery staple`)}`,
      expected: 'rejected',
    },
  ])('$name: $expected', ({ header, expected }) => {
    expect(authorise(request(header))).toBe(expected);
  });
});

describe('during a rotation (two accepted pairs)', () => {
  const pairs: Credentials[] = [
    { username: 'alice', password: 'new-secret' },
    { username: 'bob', password: 'old-secret' },
  ];
  const authorise = createAuthoriser(() => pairs);

  it.each([
    { name: 'the first pair', userPass: 'alice:new-secret', expected: undefined },
    { name: 'the second pair', userPass: 'bob:old-secret', expected: undefined },
    {
      name: "one pair's user with the other's password",
      userPass: 'alice:old-secret',
      expected: 'rejected',
    },
    { name: 'the other way round', userPass: 'bob:new-secret', expected: 'rejected' },
  ])('$name: $expected in every form', ({ userPass, expected }) => {
    for (const { form, header } of forms(userPass)) {
      expect(authorise(request(header)), form).toBe(expected);
    }
  });

  it('follows the accepted set when it changes, and drops a retired pair', () => {
    let current: Credentials[] = [{ username: 'alice', password: 'one' }];
    const rotating = createAuthoriser(() => current);
    expect(rotating(request(`Basic ${b64('alice:one')}`))).toBeUndefined();
    current = [{ username: 'alice', password: 'two' }];
    expect(rotating(request(`Basic ${b64('alice:one')}`))).toBe('rejected');
    expect(rotating(request(`basic ${b64('alice:one')}`))).toBe('rejected');
    expect(rotating(request(`Basic ${b64('alice:two')}`))).toBeUndefined();
  });
});

describe('the constant-time path', () => {
  const pairs: Credentials[] = [
    { username: 'alice', password: 'new-secret' },
    { username: 'bob', password: 'a much, much longer old secret' },
  ];
  const authorise = createAuthoriser(() => pairs);
  beforeEach(() => {
    crypto.calls.length = 0;
  });

  it.each([
    // Canonical and matching: every accepted header digest is compared, no more.
    {
      name: 'a canonical header of the first pair',
      header: `Basic ${b64('alice:new-secret')}`,
      compares: 2,
    },
    // Otherwise: every header digest, then user and password of every pair.
    {
      name: 'a lower-case header of the first pair',
      header: `basic ${b64('alice:new-secret')}`,
      compares: 6,
    },
    {
      name: 'a wrong user with the right password',
      header: `Basic ${b64('mallory:new-secret')}`,
      compares: 6,
    },
    {
      name: 'a right user with a short wrong password',
      header: `Basic ${b64('alice:x')}`,
      compares: 6,
    },
    { name: 'a wrong everything', header: `Basic ${b64('m:x')}`, compares: 6 },
    // Not Basic credentials: compared as a header only.
    { name: 'another scheme', header: 'Bearer token', compares: 2 },
  ])('$name: $compares comparisons, all of 32-byte digests', ({ header, compares }) => {
    authorise(request(header));
    expect(crypto.calls).toHaveLength(compares);
    for (const lengths of crypto.calls) expect(lengths).toEqual([32, 32]);
  });
});

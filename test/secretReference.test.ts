import { describe, expect, it } from 'vitest';
import { MalformedReference, parseSecretSetting } from '../config/secretReference.js';

describe('parseSecretSetting', () => {
  it.each([
    [
      'gcp:secretmanager:projects/p1/secrets/db-pass',
      'projects/p1/secrets/db-pass/versions/latest',
    ],
    [
      'gcp:secretmanager:projects/p1/secrets/db-pass/versions/3',
      'projects/p1/secrets/db-pass/versions/3',
    ],
    [
      'gcp:secretmanager:projects/123456/secrets/S_1/versions/latest',
      'projects/123456/secrets/S_1/versions/latest',
    ],
    ['projects/p1/secrets/db-pass/versions/7', 'projects/p1/secrets/db-pass/versions/7'],
    ['projects/p1/secrets/db-pass', 'projects/p1/secrets/db-pass/versions/latest'],
  ])('%s → %s', (raw, name) => {
    expect(parseSecretSetting(raw)).toMatchObject({ kind: 'reference', name });
  });

  it.each(['hunter2', 'projects are fun', 'gcp-secretmanager', ''])(
    'keeps %j as a plain value',
    (raw) => {
      expect(parseSecretSetting(raw)).toEqual({ kind: 'literal', value: raw });
    },
  );

  it.each([
    'gcp:secretmanager:',
    'gcp:secretmanager:projects/p1',
    'gcp:secretmanager:projects/p1/secrets/',
    'gcp:secretmanager:projects/p1/secrets/s/versions/',
    'gcp:secretmanager:projects/p1/secrets/s/versions/0',
    'gcp:secretmanager:projects/p1/secrets/s/versions/one',
    'gcp:secretmanager:secrets/s',
    'projects/p1/secrets/s/versions/latest/extra',
    'projects/P_UPPER/secrets/s',
  ])('rejects the malformed reference %j', (raw) => {
    expect(() => parseSecretSetting(raw)).toThrow(MalformedReference);
  });
});

import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ConfigError, parseConfig } from '../config/config.js';
import { parseSecretSetting } from '../config/secretReference.js';
import { type FakeSecretManager, startFakeSecretManager } from '../dev/fakeSecretManager.js';
import {
  loadConfiguredSecrets,
  loadSecrets,
  SecretResolutionError,
} from '../secrets/secretStore.js';

// The real SDK client over real gRPC to a local fake server.
let fake: FakeSecretManager;
beforeAll(async () => {
  fake = await startFakeSecretManager();
  fake.addVersion('proj', 'db-password', 'first-db-password');
  fake.addVersion('proj', 'db-password', 'second-db-password');
  fake.addVersion('proj', 'basic-user', 'ops');
  fake.addVersion('proj', 'basic-password', 'old-basic-password');
  fake.addVersion('proj', 'basic-password', 'new-basic-password');
  fake.addVersion('proj', 'forbidden', 'x');
  fake.deny('proj', 'forbidden');
});
afterAll(async () => {
  await fake?.close();
});

const base = {
  POSTGRES_MAIN_HOST: '127.0.0.1',
  POSTGRES_REPLICATION_HOST: '127.0.0.1',
  BASIC_AUTH_USERNAME: 'plain-user',
  BASIC_AUTH_PASSWORD: 'plain-password',
  POSTGRES_MAIN_PASSWORD: 'plain-db-password',
};

async function load(env: Record<string, string>, timeoutMs = 5000) {
  const config = parseConfig({
    ...base,
    SECRET_MANAGER_EMULATOR_HOST: fake.address,
    SECRET_RESOLVE_TIMEOUT_MS: String(timeoutMs),
    ...env,
  });
  return loadConfiguredSecrets(config.secrets);
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ error: SecretResolutionError; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    if (error instanceof SecretResolutionError) return { error, ms: performance.now() - started };
    throw error;
  }
  throw new Error('expected the secrets to fail');
}

describe('resolution', () => {
  it('resolves every reference form, latest by default', async () => {
    const store = await load({
      POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/db-password',
      POSTGRES_REPLICATION_PASSWORD:
        'gcp:secretmanager:projects/proj/secrets/db-password/versions/1',
      BASIC_AUTH_USERNAME: 'projects/proj/secrets/basic-user/versions/latest',
      BASIC_AUTH_PASSWORD: 'projects/proj/secrets/basic-password/versions/1',
    });
    expect(store.current('POSTGRES_MAIN_PASSWORD')).toBe('second-db-password');
    expect(store.current('POSTGRES_REPLICATION_PASSWORD')).toBe('first-db-password');
    expect(store.current('BASIC_AUTH_USERNAME')).toBe('ops');
    expect(store.current('BASIC_AUTH_PASSWORD')).toBe('old-basic-password');
    await store.close();
  });

  it('keeps plain values and never creates the SDK client without a reference', async () => {
    let created = 0;
    const store = await loadSecrets(
      { POSTGRES_MAIN_PASSWORD: parseSecretSetting('plain') },
      {
        createAccessor: async () => {
          created++;
          throw new Error('must not be called');
        },
        timeoutMs: 1000,
      },
    );
    expect(store.current('POSTGRES_MAIN_PASSWORD')).toBe('plain');
    expect(created).toBe(0);
  });

  it('fails at once on NOT_FOUND and PERMISSION_DENIED, naming every variable and status', async () => {
    const calls = fake.calls();
    const { error, ms } = await failure(
      load({
        POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/missing',
        BASIC_AUTH_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/forbidden',
      }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^BASIC_AUTH_PASSWORD \(projects\/proj\/secrets\/forbidden\/versions\/latest\): PERMISSION_DENIED/,
      ),
      expect.stringMatching(
        /^POSTGRES_MAIN_PASSWORD \(projects\/proj\/secrets\/missing\/versions\/latest\): NOT_FOUND/,
      ),
    ]);
    expect(fake.calls() - calls).toBe(2); // no retries
    expect(ms).toBeLessThan(2000);
  });

  it('retries UNAVAILABLE within the deadline', async () => {
    fake.failNext(2);
    const store = await load({
      POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/db-password',
    });
    expect(store.current('POSTGRES_MAIN_PASSWORD')).toBe('second-db-password');
    await store.close();
  });

  it('gives up on an unreachable endpoint within the deadline, not after a minute of retries', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const config = parseConfig({
      ...base,
      POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/db-password',
      SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${closedPort}`,
      SECRET_RESOLVE_TIMEOUT_MS: '1500',
    });
    const { error, ms } = await failure(loadConfiguredSecrets(config.secrets));
    expect(error.problems[0]).toMatch(/^POSTGRES_MAIN_PASSWORD .*(UNAVAILABLE|DEADLINE_EXCEEDED)/);
    expect(ms).toBeLessThan(1500 + 1000);
  });

  it('rejects a malformed reference at configuration, naming the variable', () => {
    expect(() =>
      parseConfig({ ...base, BASIC_AUTH_PASSWORD: 'gcp:secretmanager:projects/proj' }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringMatching(/^BASIC_AUTH_PASSWORD is not a valid Secret Manager reference/),
        ],
      }) as ConfigError,
    );
  });
});

describe('rotation windows', () => {
  async function rotatingStore(secret: string) {
    const config = parseConfig({
      ...base,
      SECRET_MANAGER_EMULATOR_HOST: fake.address,
      BASIC_AUTH_PASSWORD: `gcp:secretmanager:projects/proj/secrets/${secret}`,
    });
    return loadSecrets(config.secrets.settings, {
      createAccessor: async () =>
        (await import('../secrets/secretManagerAccess.js')).createSecretManagerAccessor({
          emulatorHost: fake.address,
        }),
      timeoutMs: 1000,
      withPrevious: ['BASIC_AUTH_PASSWORD'],
      minRefreshIntervalMs: 0,
    });
  }

  it('accepts latest and N−1 while N−1 is enabled, and only latest once it is disabled', async () => {
    fake.addVersion('proj', 'rotating', 'v1');
    fake.addVersion('proj', 'rotating', 'v2');
    const store = await rotatingStore('rotating');
    expect(store.accepted('BASIC_AUTH_PASSWORD')).toEqual(['v2', 'v1']);
    fake.addVersion('proj', 'rotating', 'v3');
    await store.refresh('BASIC_AUTH_PASSWORD');
    expect(store.accepted('BASIC_AUTH_PASSWORD')).toEqual(['v3', 'v2']);
    fake.addVersion('proj', 'rotating', 'v4');
    fake.disableVersion('proj', 'rotating', 3);
    await store.refresh('BASIC_AUTH_PASSWORD');
    expect(store.accepted('BASIC_AUTH_PASSWORD')).toEqual(['v4']);
    await store.close();
  });

  it('while N−1 cannot be read, accepts only a value known to be N−1, never an older one', async () => {
    fake.addVersion('proj', 'flaky', 'v1');
    fake.addVersion('proj', 'flaky', 'v2');
    const store = await rotatingStore('flaky');
    expect(store.accepted('BASIC_AUTH_PASSWORD')).toEqual(['v2', 'v1']);

    // latest moved by one: the former latest is N−1, whatever reading it does.
    fake.makeUnavailable('proj', 'flaky', 2);
    fake.addVersion('proj', 'flaky', 'v3');
    await store.refresh('BASIC_AUTH_PASSWORD');
    expect(store.accepted('BASIC_AUTH_PASSWORD')).toEqual(['v3', 'v2']);
    await store.refresh('BASIC_AUTH_PASSWORD');
    expect(store.accepted('BASIC_AUTH_PASSWORD')).toEqual(['v3', 'v2']);

    // latest moved by two, N−1 unreadable: its value is unknown, so only latest.
    fake.addVersion('proj', 'flaky', 'v4');
    fake.addVersion('proj', 'flaky', 'v5');
    fake.makeUnavailable('proj', 'flaky', 4);
    await store.refresh('BASIC_AUTH_PASSWORD');
    expect(store.accepted('BASIC_AUTH_PASSWORD')).toEqual(['v5']);
    await store.close();
  });

  it('takes a new latest at once, while reading N−1 still retries', async () => {
    fake.addVersion('proj', 'slow', 'v1');
    const store = await rotatingStore('slow');
    fake.makeUnavailable('proj', 'slow', 1);
    fake.addVersion('proj', 'slow', 'v2');
    const refreshed = store.refresh('BASIC_AUTH_PASSWORD');
    await vi.waitFor(() =>
      expect(fake.calls('projects/proj/secrets/slow/versions/1')).toBeGreaterThan(1),
    );
    // The N−1 read is still being retried (its deadline is 1 s); latest is already in.
    expect(store.current('BASIC_AUTH_PASSWORD')).toBe('v2');
    expect(store.accepted('BASIC_AUTH_PASSWORD')).toEqual(['v2', 'v1']);
    await refreshed;
    await store.close();
  });
});

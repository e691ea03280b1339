import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/config.js';
import { sslOption } from '../db/pool.js';
import { type FakeSecretManager, startFakeSecretManager } from '../dev/fakeSecretManager.js';
import {
  loadConfiguredSecrets,
  resolvedDatabase,
  SecretResolutionError,
} from '../secrets/secretStore.js';
import { type RunningService, startService } from '../server/service.js';
import { httpClient } from './support/http.js';
import { spawnEntry } from './support/process.js';
import { startTestPair, type TestPair } from './support/testPair.js';
import { makeTestCertificates, serveTls, type TestCertificates } from './support/tls.js';

// Issue 17, 9: the service verifies the server it talks to. A real primary
// and standby serve TLS with certificates made here by openssl.

let certs: TestCertificates;
let pair: TestPair;
let fake: FakeSecretManager;
beforeAll(async () => {
  [certs, pair, fake] = await Promise.all([
    makeTestCertificates(),
    startTestPair(),
    startFakeSecretManager(),
  ]);
  await serveTls(pair, certs.server);
  fake.addVersion('proj', 'pg-ca', certs.ca);
  fake.addVersion('proj', 'not-a-ca', 'hunter2-not-a-certificate');
}, 60_000);
afterAll(async () => {
  await Promise.all([pair?.stop(), fake?.close()]);
  await certs?.remove();
});

const remote = {
  POSTGRES_MAIN_HOST: 'primary.internal',
  POSTGRES_REPLICATION_HOST: 'replica.internal',
  POSTGRES_MAIN_PASSWORD: 'hunter2-main',
  BASIC_AUTH_USERNAME: 'ops',
  BASIC_AUTH_PASSWORD: 'hunter2-basic',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('POSTGRES_SSLROOTCERT and POSTGRES_SSLMODE', () => {
  it('takes a PEM CA with verify-ca and verify-full', () => {
    for (const mode of ['verify-ca', 'verify-full']) {
      const config = parseConfig({
        ...remote,
        POSTGRES_SSLMODE: mode,
        POSTGRES_SSLROOTCERT: certs.ca,
      });
      expect(config.database.sslMode).toBe(mode);
      expect(config.database.sslRootCert).toEqual({ kind: 'literal', value: certs.ca });
    }
  });

  it.each([
    ['text that is no certificate', 'hunter2-not-a-certificate', /is not a PEM certificate/],
    [
      'a damaged certificate',
      '-----BEGIN CERTIFICATE-----\nhunter2AAAA\n-----END CERTIFICATE-----\n',
      /certificate 1 of 1 does not parse/,
    ],
    [
      'a private key',
      '-----BEGIN PRIVATE KEY-----\nhunter2AAAA\n-----END PRIVATE KEY-----\n',
      /holds a private key/,
    ],
  ])('refuses %s, naming the variable and never the value', (_, value, reason) => {
    const problems = problemsOf({
      ...remote,
      POSTGRES_SSLMODE: 'verify-full',
      POSTGRES_SSLROOTCERT: value,
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^POSTGRES_SSLROOTCERT /);
    expect(problems[0]).toMatch(reason);
    expect(problems[0]).not.toContain('hunter2');
  });

  it('refuses verify-ca without a CA: the system roots with no name check would take any public certificate', () => {
    expect(problemsOf({ ...remote, POSTGRES_SSLMODE: 'verify-ca' })).toEqual([
      expect.stringMatching(/^POSTGRES_SSLMODE=verify-ca needs POSTGRES_SSLROOTCERT/),
    ]);
  });

  it.each(['disable', 'prefer', 'require'])(
    'refuses a CA with %s, which would check nothing against it',
    (mode) => {
      expect(
        problemsOf({ ...remote, POSTGRES_SSLMODE: mode, POSTGRES_SSLROOTCERT: certs.ca }),
      ).toEqual([expect.stringMatching(/^POSTGRES_SSLROOTCERT is set, but POSTGRES_SSLMODE=/)]);
    },
  );

  it('maps each mode to postgres.js: the CA alone, a name check only in verify-full', () => {
    const ca = { kind: 'literal', value: certs.ca } as const;
    const verifyCa = sslOption({ sslMode: 'verify-ca', sslRootCert: ca });
    expect(verifyCa).toMatchObject({ ca: certs.ca, rejectUnauthorized: true });
    expect(
      typeof verifyCa === 'object' && verifyCa.checkServerIdentity?.('elsewhere', {} as never),
    ).toBeUndefined();
    const verifyFull = sslOption({ sslMode: 'verify-full', sslRootCert: ca });
    expect(verifyFull).toEqual({ ca: certs.ca, rejectUnauthorized: true });
    expect(sslOption({ sslMode: 'verify-full', sslRootCert: undefined })).toBe('verify-full');
    expect(sslOption({ sslMode: 'require', sslRootCert: undefined })).toBe('require');
    expect(sslOption({ sslMode: 'disable', sslRootCert: undefined })).toBe(false);
    const reference = parseConfig({
      ...remote,
      POSTGRES_SSLMODE: 'verify-ca',
      POSTGRES_SSLROOTCERT: 'gcp:secretmanager:projects/proj/secrets/pg-ca',
    }).database;
    expect(() => sslOption(reference)).toThrow(/still a Secret Manager reference/);
  });

  it('refuses, at start-up, a Secret Manager CA that is not a certificate, naming it and never the value', async () => {
    const config = parseConfig({
      ...remote,
      POSTGRES_SSLMODE: 'verify-full',
      POSTGRES_SSLROOTCERT: 'gcp:secretmanager:projects/proj/secrets/not-a-ca',
      SECRET_MANAGER_EMULATOR_HOST: fake.address,
    });
    const error = await loadConfiguredSecrets(config.secrets).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretResolutionError);
    expect((error as SecretResolutionError).problems).toEqual([
      'POSTGRES_SSLROOTCERT (projects/proj/secrets/not-a-ca/versions/latest) is not a PEM certificate: expected one or more -----BEGIN CERTIFICATE----- blocks',
    ]);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

/** The service as bootstrap starts it: config, secrets (the CA among them), the CA in place. */
async function startWith(env: Record<string, string>): Promise<RunningService> {
  const config = parseConfig({ ...pair.env, PORT: '0', ...env });
  const secrets = await loadConfiguredSecrets(config.secrets);
  const database = resolvedDatabase(config.database, secrets);
  return startService({ ...config, database }, { log: () => {}, secrets, host: '127.0.0.1' });
}

/** Starts the service, runs `check` with a client, and closes it. */
async function withService(
  env: Record<string, string>,
  check: (client: ReturnType<typeof httpClient>) => Promise<void>,
): Promise<void> {
  const service = await startWith(env);
  try {
    await check(httpClient(service.url, pair.env));
  } finally {
    await service.close();
  }
}

/** Both hosts answer, each over TLS (pg_stat_ssl of the service's own backends). */
async function expectBothOverTls(client: ReturnType<typeof httpClient>): Promise<void> {
  expect((await client.request('GET', '/country/US')).status).toBe(200);
  expect((await client.request('GET', '/country_replica/US')).status).toBe(200);
  for (const server of ['primary', 'replica'] as const) {
    const rows = await pair.superuser(server)<{ ssl: boolean }[]>`
      select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid)
      where a.usename = 'app' and a.application_name like '%:api'`;
    expect(rows.length, `the service's connections to the ${server}`).toBeGreaterThan(0);
    expect(rows.every((row) => row.ssl)).toBe(true);
  }
}

describe('a primary and standby serving TLS from a CA made here', () => {
  it('verify-ca with the right CA connects to both', async () => {
    await withService(
      { POSTGRES_SSLMODE: 'verify-ca', POSTGRES_SSLROOTCERT: certs.ca },
      expectBothOverTls,
    );
  });

  it('verify-full with the right CA connects to both (the certificate names 127.0.0.1)', async () => {
    await withService(
      { POSTGRES_SSLMODE: 'verify-full', POSTGRES_SSLROOTCERT: certs.ca },
      expectBothOverTls,
    );
  });

  it('the CA given as a Secret Manager reference works', async () => {
    await withService(
      {
        POSTGRES_SSLMODE: 'verify-full',
        POSTGRES_SSLROOTCERT: 'gcp:secretmanager:projects/proj/secrets/pg-ca',
        SECRET_MANAGER_EMULATOR_HOST: fake.address,
      },
      expectBothOverTls,
    );
  });

  it('the real entry point resolves a referenced CA before it listens', async () => {
    const server = spawnEntry('server/main.ts', {
      ...pair.env,
      PORT: '0',
      POSTGRES_SSLMODE: 'verify-ca',
      POSTGRES_SSLROOTCERT: 'gcp:secretmanager:projects/proj/secrets/pg-ca',
      SECRET_MANAGER_EMULATOR_HOST: fake.address,
    });
    try {
      const [, port] = await server.waitFor(/serving api on port (\d+)/, 60_000);
      const client = httpClient(`http://127.0.0.1:${port}`, pair.env);
      expect((await client.request('GET', '/country/US')).status).toBe(200);
      expect((await client.request('GET', '/country_replica/US')).status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 90_000);

  it('the migration job verifies the primary against a referenced CA, as the service does', async () => {
    const job = spawnEntry('server/migrateMain.ts', {
      ...pair.env,
      POSTGRES_SSLMODE: 'verify-ca',
      POSTGRES_SSLROOTCERT: 'gcp:secretmanager:projects/proj/secrets/pg-ca',
      SECRET_MANAGER_EMULATOR_HOST: fake.address,
    });
    expect(await job.exited, job.output()).toBe(0);
    expect(job.output()).toContain('migrations applied');
    const refused = spawnEntry('server/migrateMain.ts', {
      ...pair.env,
      POSTGRES_SSLMODE: 'verify-ca',
      POSTGRES_SSLROOTCERT: certs.otherCa,
    });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/migration failed/);
  }, 90_000);

  it('require still connects to both, encrypted, as documented', async () => {
    await withService({ POSTGRES_SSLMODE: 'require' }, expectBothOverTls);
  });

  it('a CA that did not sign the certificate is refused: 503 naming TLS and the host', async () => {
    await withService(
      { POSTGRES_SSLMODE: 'verify-ca', POSTGRES_SSLROOTCERT: certs.otherCa },
      async (client) => {
        const primary = await client.request('GET', '/country/US');
        expect(primary.status).toBe(503);
        expect(primary.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(primary.json.detail).toMatch(
          /^the primary database presented a TLS certificate that is not trusted: .*POSTGRES_SSLROOTCERT/,
        );
        const replica = await client.request('GET', '/country_replica/US');
        expect(replica.status).toBe(503);
        expect(replica.json.detail).toMatch(
          /^the replica database presented a TLS certificate that is not trusted/,
        );
        const health = await client.request('GET', '/status/replication');
        expect(health.status).toBe(503);
        expect(health.text).toContain(`${pair.endpoints[0]}`);
        expect(health.text).toMatch(/TLS certificate that is not trusted/);
      },
    );
  });

  describe('when the servers present a certificate for another name', () => {
    beforeAll(() => serveTls(pair, certs.otherName), 30_000);
    afterAll(() => serveTls(pair, certs.server), 30_000);

    it('verify-ca connects: it checks the chain, not the name', async () => {
      await withService(
        { POSTGRES_SSLMODE: 'verify-ca', POSTGRES_SSLROOTCERT: certs.ca },
        expectBothOverTls,
      );
    });

    it('verify-full refuses it, naming TLS and the name check', async () => {
      await withService(
        { POSTGRES_SSLMODE: 'verify-full', POSTGRES_SSLROOTCERT: certs.ca },
        async (client) => {
          const answer = await client.request('GET', '/country/US');
          expect(answer.status).toBe(503);
          expect(answer.json.detail).toMatch(
            /^the primary database presented a TLS certificate for other names .*ERR_TLS_CERT_ALTNAME_INVALID/,
          );
        },
      );
    });
  });

  describe('when the servers present a certificate from another CA', () => {
    beforeAll(() => serveTls(pair, certs.otherServer), 30_000);
    afterAll(() => serveTls(pair, certs.server), 30_000);

    it.each(['verify-ca', 'verify-full'])(
      '%s with the cluster CA refuses both hosts with a 503 naming TLS and the host',
      async (mode) => {
        await withService(
          { POSTGRES_SSLMODE: mode, POSTGRES_SSLROOTCERT: certs.ca },
          async (client) => {
            const primary = await client.request('GET', '/country/US');
            expect(primary.status).toBe(503);
            expect(primary.headers.get('retry-after')).not.toBeNull();
            expect(primary.json).toMatchObject({
              status: 503,
              detail: expect.stringMatching(
                /^the primary database presented a TLS certificate that is not trusted: not signed by the CA in POSTGRES_SSLROOTCERT \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/,
              ),
            });
            const replica = await client.request('GET', '/country_replica/US');
            expect(replica.status).toBe(503);
            expect(replica.json.detail).toMatch(
              /^the replica database presented a TLS certificate that is not trusted/,
            );
          },
        );
      },
    );

    it('require still connects to both: it encrypts and checks nothing', async () => {
      await withService({ POSTGRES_SSLMODE: 'require' }, expectBothOverTls);
    });
  });
});

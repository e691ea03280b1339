import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSecretManager } from '../../dev/fakeSecretManager.js';
import { expectDrainUnderLoad } from '../support/drainUnderLoad.js';
import { httpClient } from '../support/http.js';
import { type Spawned, spawnEntry } from '../support/process.js';
import { APP, startTestPair, type TestPair } from '../support/testPair.js';
import { expectWriteReadBack } from '../support/writeReadBack.js';

// The production entry point (the container's command runs its compiled form)
// as a real process, spoken to over HTTP.
const ENTRY = 'server/main.ts';
let pair: TestPair;

beforeAll(async () => {
  pair = await startTestPair();
});
afterAll(async () => {
  await pair?.stop();
});

async function startServer(
  extra: Record<string, string> = {},
): Promise<{ server: Spawned; url: string }> {
  const server = spawnEntry(ENTRY, { ...pair.env, PORT: '0', ...extra });
  const [, port] = await server.waitFor(/"port":(\d+)/);
  return { server, url: `http://127.0.0.1:${port}` };
}

describe('the server process', () => {
  it('serves the API: a write on the primary is read back from the replica', async () => {
    const { server, url } = await startServer();
    try {
      const api = httpClient(url, pair.env);
      await expectWriteReadBack(api, { name: 'Processland', two_letter: 'QR', country_id: 910 });
      expect((await api.request('DELETE', '/country/QR')).status).toBe(204);
      expect((await api.request('GET', '/country', { auth: false })).status).toBe(401);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });

  it('refuses to start without the required variables, naming them and no secret', async () => {
    const server = spawnEntry(ENTRY, {
      POSTGRES_MAIN_HOST: '127.0.0.1',
      POSTGRES_MAIN_PASSWORD: 'do-not-print-me',
      POSTGRES_MAIN_PORT: 'not-a-port',
    });
    expect(await server.exited).not.toBe(0);
    const output = server.output();
    for (const name of [
      'POSTGRES_REPLICATION_HOST',
      'BASIC_AUTH_USERNAME',
      'BASIC_AUTH_PASSWORD',
      'POSTGRES_MAIN_PORT',
    ]) {
      expect(output).toContain(name);
    }
    expect(output).not.toContain('do-not-print-me');
  });

  it('starts and serves with every secret a Secret Manager reference', async () => {
    const fake = await startFakeSecretManager();
    try {
      fake.addVersion('proj', 'db', APP.password);
      fake.addVersion('proj', 'user', 'sm-user');
      fake.addVersion('proj', 'password', 'sm-password');
      const { server, url } = await startServer({
        SECRET_MANAGER_EMULATOR_HOST: fake.address,
        POSTGRES_MAIN_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/db',
        POSTGRES_REPLICATION_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/db/versions/1',
        BASIC_AUTH_USERNAME: 'projects/proj/secrets/user/versions/latest',
        BASIC_AUTH_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/password',
      });
      try {
        const api = httpClient(url, {
          BASIC_AUTH_USERNAME: 'sm-user',
          BASIC_AUTH_PASSWORD: 'sm-password',
        });
        expect((await api.request('GET', '/country/US')).status).toBe(200);
        expect((await api.request('GET', '/country_replica/US')).status).toBe(200);
        expect(server.output()).not.toMatch(/sm-password|app-test-password/);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      await fake.close();
    }
  });

  it('exits non-zero within the deadline when a reference cannot be resolved, naming the variable', async () => {
    const fake = await startFakeSecretManager();
    try {
      const started = performance.now();
      const server = spawnEntry(ENTRY, {
        ...pair.env,
        SECRET_MANAGER_EMULATOR_HOST: fake.address,
        SECRET_RESOLVE_TIMEOUT_MS: '2000',
        BASIC_AUTH_PASSWORD: 'gcp:secretmanager:projects/proj/secrets/absent',
      });
      expect(await server.exited).toBe(1);
      // Process start-up included (seconds through tsx on a loaded machine); the
      // SDK's own retries would take about 90 s.
      expect(performance.now() - started).toBeLessThan(2000 + 10_000);
      expect(server.output()).toContain(
        'BASIC_AUTH_PASSWORD (projects/proj/secrets/absent/versions/latest): NOT_FOUND',
      );
    } finally {
      await fake.close();
    }
  });

  it('drains nine requests in flight when SIGTERM arrives, then exits 0', async () => {
    const { server, url } = await startServer();
    await expectDrainUnderLoad({
      url,
      pair,
      applicationName: 'pg-replica-functions:api',
      sigterm: () => server.child.kill('SIGTERM'),
      draining: () => server.waitFor(/SIGTERM received: draining/),
      exited: server.exited,
    });
  });
});

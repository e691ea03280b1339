import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/config.js';
import { OPTIONS, renderOptionsTable } from '../config/options.js';

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

describe('the option table', () => {
  it('is the configuration table of docs/operations.md, row for row', () => {
    const doc = readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8');
    const section = /<!-- options:start -->\n([\s\S]*?)\n<!-- options:end -->/.exec(doc)?.[1];
    expect(
      section,
      'docs/operations.md has no options section; run npm run readme:options',
    ).toBeDefined();
    expect(section).toBe(renderOptionsTable());
  });

  it('documents every variable the code reads from the environment', () => {
    const read = new Set<string>();
    for (const folder of [
      'config',
      'secrets',
      'db',
      'replication',
      'http',
      'functions',
      'server',
      'dev',
    ]) {
      const files = readdirSync(new URL(`../${folder}/`, import.meta.url), { recursive: true });
      for (const file of files.map(String).filter((name) => /\.(ts|js)$/.test(name))) {
        const text = readFileSync(new URL(`../${folder}/${file}`, import.meta.url), 'utf8');
        for (const match of text.matchAll(/process\.env\.([A-Z_]+)|env\.([A-Z][A-Z_]+)/g)) {
          read.add(match[1] ?? match[2] ?? '');
        }
        for (const match of text.matchAll(/readOption\([^,]+, '([A-Z_]+)'\)/g))
          read.add(match[1] ?? '');
      }
    }
    // The framework's own (set by our entry points for it), and the shell's, handed to children.
    read.delete('NODE_ENV');
    read.delete('PATH');
    // A knob of the screenshot tool (dev/screenshot.ts), not of the service.
    read.delete('CHROMIUM_PATH');
    expect([...read].filter((name) => !(name in OPTIONS)).sort()).toEqual([]);
  });
});

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(remote);
    expect(config.database).toMatchObject({
      primary: { host: 'primary.internal', port: 5432 },
      replica: { host: 'replica.internal', port: 5432 },
      user: 'postgres',
      database: 'countries',
      sslMode: 'require',
      poolMax: 10,
      connectTimeoutMs: 2000,
      queryTimeoutMs: 3000,
      idleTimeoutS: 60,
      maxLifetimeS: 1800,
    });
    expect(config).toMatchObject({
      server: { port: 8080, functionTarget: 'api', serviceName: 'pg-replica-functions' },
      replication: { maxLagMs: 5000, expectedStandbys: 1, prober: 'pg-replica-functions' },
      secrets: { resolveTimeoutMs: 10_000, basicAuthRefreshS: 300 },
    });
  });

  it('verifies the read endpoint alone unless POSTGRES_REPLICA_ENDPOINTS lists replicas', () => {
    expect(parseConfig(remote).database.replicaEndpoints).toEqual([
      { host: 'replica.internal', port: 5432 },
    ]);
    const listed = parseConfig({
      ...remote,
      POSTGRES_REPLICATION_PORT: '6432',
      POSTGRES_REPLICA_ENDPOINTS: '10.0.0.7, 10.0.0.8:5433,[fd00::9]:5434',
    });
    expect(listed.database.replicaEndpoints).toEqual([
      { host: '10.0.0.7', port: 6432 },
      { host: '10.0.0.8', port: 5433 },
      { host: 'fd00::9', port: 5434 },
    ]);
    expect(listed.database.replica).toEqual({ host: 'replica.internal', port: 6432 });
    expect(listed.replication.maxSlotRetainedBytes).toBe(1024 ** 3);
  });

  it.each([
    'a:b:c',
    '10.0.0.7:',
    '10.0.0.7:99999',
    '10.0.0.7,,10.0.0.8',
    '10.0.0.7:5432,10.0.0.7:5432',
    '10.0.0.7,10.0.0.7:5432',
    'host with space',
  ])('refuses POSTGRES_REPLICA_ENDPOINTS=%s, naming the variable', (value) => {
    const problems = problemsOf({ ...remote, POSTGRES_REPLICA_ENDPOINTS: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^POSTGRES_REPLICA_ENDPOINTS /);
  });

  it('lists every missing variable at once, naming each', () => {
    const problems = problemsOf({});
    for (const name of [
      'POSTGRES_MAIN_HOST',
      'POSTGRES_REPLICATION_HOST',
      'POSTGRES_MAIN_PASSWORD',
      'BASIC_AUTH_USERNAME',
      'BASIC_AUTH_PASSWORD',
    ]) {
      expect(problems.join('\n')).toContain(name);
    }
  });

  it.each([
    ['POSTGRES_MAIN_PORT', 'abc'],
    ['POSTGRES_REPLICATION_PORT', '70000'],
    ['DB_POOL_MAX', '0'],
    ['DB_CONNECT_TIMEOUT_MS', '-5'],
    ['FUNCTION_TARGET', 'nope'],
    ['POSTGRES_SSLMODE', 'sometimes'],
    ['SECRET_MANAGER_EMULATOR_HOST', 'no-port'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    const problems = problemsOf({ ...remote, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} `));
  });

  it('never prints a secret value in its message', () => {
    const env = { ...remote, POSTGRES_MAIN_PORT: 'x', BASIC_AUTH_USERNAME: 'user:with-colon' };
    expect(() => parseConfig(env)).toThrow(ConfigError);
    const message = (() => {
      try {
        parseConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    for (const secret of ['hunter2-main', 'hunter2-basic', 'user:with-colon'])
      expect(message).not.toContain(secret);
  });

  it('does not require the replica or Basic auth for migrations', () => {
    const { POSTGRES_MAIN_HOST, POSTGRES_MAIN_PASSWORD } = remote;
    expect(() =>
      parseConfig({ POSTGRES_MAIN_HOST, POSTGRES_MAIN_PASSWORD }, 'migrate'),
    ).not.toThrow();
  });
});

import {
  FUNCTION_TARGETS,
  type FunctionTarget,
  hostPort,
  integer,
  OptionError,
  oneOf,
  type Parser,
  port,
  SSL_MODES,
  type SslMode,
  text,
} from './options.js';

export interface HostConfig {
  host: string;
  port: number;
  password: string;
}

export interface DatabaseConfig {
  primary: HostConfig;
  replica: HostConfig;
  user: string;
  database: string;
  sslMode: SslMode;
  poolMax: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  idleTimeoutS: number;
  maxLifetimeS: number;
}

export interface Config {
  database: DatabaseConfig;
  /** Absent only for the standalone replicationCheck target, which Cloud Run IAM guards. */
  basicAuth: { username: string; password: string } | undefined;
  port: number;
  functionTarget: FunctionTarget;
  replicaMaxLagMs: number;
  expectedStandbys: number;
  secretManagerEmulatorHost: string | undefined;
  /** Names the service in application_name and logs (Cloud Run sets K_SERVICE). */
  serviceName: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads the whole environment and reports every problem at once, naming
 * variables and never their (possibly secret) values.
 */
export function parseConfig(env: Env, scope: 'serve' | 'migrate' = 'serve'): Config {
  const problems: string[] = [];

  function read<T>(name: string, parse: Parser<T>, fallback: T): T;
  function read<T>(name: string, parse: Parser<T>): T | undefined;
  function read<T>(name: string, parse: Parser<T>, fallback?: T): T | undefined {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    try {
      return parse(raw);
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      problems.push(`${name} ${error.message}`);
      return fallback;
    }
  }
  function required<T>(name: string, parse: Parser<T>, why: string): T | undefined {
    if (env[name] === undefined || env[name] === '') {
      problems.push(`${name} is required ${why}`);
      return undefined;
    }
    return read(name, parse);
  }

  const functionTarget = read('FUNCTION_TARGET', oneOf(FUNCTION_TARGETS), 'api');
  const mainHost = required(
    'POSTGRES_MAIN_HOST',
    text,
    '(npm start runs a local cluster without it)',
  );
  const why = 'when POSTGRES_MAIN_HOST is set';
  const serving = scope === 'serve';
  const replicaHost = serving
    ? required('POSTGRES_REPLICATION_HOST', text, why)
    : read('POSTGRES_REPLICATION_HOST', text);
  const mainPassword = required('POSTGRES_MAIN_PASSWORD', text, why);
  const replicaPassword = read('POSTGRES_REPLICATION_PASSWORD', text) ?? mainPassword;

  const username = serving ? required('BASIC_AUTH_USERNAME', text, why) : undefined;
  const password = serving ? required('BASIC_AUTH_PASSWORD', text, why) : undefined;
  if (username?.includes(':')) problems.push('BASIC_AUTH_USERNAME must not contain ":"');

  const config: Config = {
    database: {
      primary: {
        host: mainHost ?? '',
        port: read('POSTGRES_MAIN_PORT', port, 5432),
        password: mainPassword ?? '',
      },
      replica: {
        host: replicaHost ?? '',
        port: read('POSTGRES_REPLICATION_PORT', port, 5432),
        password: replicaPassword ?? '',
      },
      user: read('POSTGRES_USER', text, 'postgres'),
      database: read('POSTGRES_DB', text, 'countries'),
      sslMode: read('POSTGRES_SSLMODE', oneOf(SSL_MODES), 'require'),
      poolMax: read('DB_POOL_MAX', integer(1, 1000), 10),
      connectTimeoutMs: read('DB_CONNECT_TIMEOUT_MS', integer(100, 60_000), 2000),
      queryTimeoutMs: read('DB_QUERY_TIMEOUT_MS', integer(100, 600_000), 3000),
      idleTimeoutS: read('DB_IDLE_TIMEOUT_S', integer(0, 86_400), 60),
      maxLifetimeS: read('DB_MAX_LIFETIME_S', integer(0, 86_400), 1800),
    },
    basicAuth: username && password ? { username, password } : undefined,
    port: read('PORT', integer(0, 65535), 8080), // 0: any free port (tests)
    functionTarget,
    replicaMaxLagMs: read('REPLICA_MAX_LAG_MS', integer(1, 600_000), 5000),
    expectedStandbys: read('EXPECTED_STANDBYS', integer(0, 100), 1),
    secretManagerEmulatorHost: read('SECRET_MANAGER_EMULATOR_HOST', hostPort),
    serviceName: read('K_SERVICE', text, 'pg-replica-functions'),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

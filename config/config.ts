import type { SecretSetting } from '../secrets/reference.js';
import {
  endpointList,
  FUNCTION_TARGETS,
  type FunctionTarget,
  hostPort,
  integer,
  OptionError,
  oneOf,
  type Parser,
  port,
  type SecretVariable,
  SSL_MODES,
  type SslMode,
  secret,
  text,
} from './options.js';

export interface HostConfig {
  host: string;
  port: number;
}

export interface DatabaseConfig {
  primary: HostConfig;
  /** Where replica reads go: a replica, or a read service balancing over several. */
  replica: HostConfig;
  /** Every replica verified on its own (POSTGRES_REPLICA_ENDPOINTS); default: the read endpoint. */
  replicaEndpoints: HostConfig[];
  user: string;
  database: string;
  sslMode: SslMode;
  poolMax: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  idleTimeoutS: number;
  maxLifetimeS: number;
}

export interface SecretsConfig {
  /** Values or Secret Manager references; resolved by secrets/secretStore.ts before listening. */
  settings: Partial<Record<SecretVariable, SecretSetting>>;
  resolveTimeoutMs: number;
  basicAuthRefreshS: number;
  emulatorHost: string | undefined;
}

export interface Config {
  database: DatabaseConfig;
  secrets: SecretsConfig;
  /** False only for the standalone replicationCheck target, which Cloud Run IAM guards. */
  basicAuth: boolean;
  port: number;
  functionTarget: FunctionTarget;
  replicaMaxLagMs: number;
  expectedStandbys: number;
  /** An inactive replication slot retaining more WAL than this is a failure. */
  maxSlotRetainedBytes: number;
  /** Names the service in application_name and logs (Cloud Run sets K_SERVICE). */
  serviceName: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads the whole environment and reports every problem at once, naming
 * variables and never their (possibly secret) values. `migrate` needs only
 * the primary.
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
  function required<T>(name: string, parse: Parser<T>, needed: boolean): T | undefined {
    if (needed && (env[name] === undefined || env[name] === '')) {
      problems.push(`${name} is required when POSTGRES_MAIN_HOST is set`);
      return undefined;
    }
    return read(name, parse);
  }

  const serving = scope === 'serve';
  const functionTarget = read('FUNCTION_TARGET', oneOf(FUNCTION_TARGETS), 'api');
  const basicAuth = serving && functionTarget !== 'replicationCheck';
  if (!env.POSTGRES_MAIN_HOST) {
    problems.push('POSTGRES_MAIN_HOST is required (npm start runs a local cluster without it)');
  }
  const mainPassword = required('POSTGRES_MAIN_PASSWORD', secret, true);
  // Without its own, the replica uses the main password entry (resolved and rotated once).
  const settings: SecretsConfig['settings'] = {
    POSTGRES_MAIN_PASSWORD: mainPassword,
    POSTGRES_REPLICATION_PASSWORD: read('POSTGRES_REPLICATION_PASSWORD', secret),
  };
  if (basicAuth) {
    settings.BASIC_AUTH_USERNAME = required('BASIC_AUTH_USERNAME', secret, true);
    settings.BASIC_AUTH_PASSWORD = required('BASIC_AUTH_PASSWORD', secret, true);
    const username = settings.BASIC_AUTH_USERNAME;
    if (username?.kind === 'literal' && username.value.includes(':')) {
      problems.push('BASIC_AUTH_USERNAME must not contain ":"');
    }
  }

  const replica = {
    host: required('POSTGRES_REPLICATION_HOST', text, serving) ?? '',
    port: read('POSTGRES_REPLICATION_PORT', port, 5432),
  };
  const endpoints = read('POSTGRES_REPLICA_ENDPOINTS', endpointList);
  const config: Config = {
    database: {
      primary: {
        host: env.POSTGRES_MAIN_HOST ?? '',
        port: read('POSTGRES_MAIN_PORT', port, 5432),
      },
      replica,
      replicaEndpoints: endpoints?.map((endpoint) => ({
        host: endpoint.host,
        port: endpoint.port ?? replica.port,
      })) ?? [replica],
      user: read('POSTGRES_USER', text, 'postgres'),
      database: read('POSTGRES_DB', text, 'countries'),
      sslMode: read('POSTGRES_SSLMODE', oneOf(SSL_MODES), 'require'),
      poolMax: read('DB_POOL_MAX', integer(1, 1000), 10),
      connectTimeoutMs: read('DB_CONNECT_TIMEOUT_MS', integer(100, 60_000), 2000),
      queryTimeoutMs: read('DB_QUERY_TIMEOUT_MS', integer(100, 600_000), 3000),
      idleTimeoutS: read('DB_IDLE_TIMEOUT_S', integer(0, 86_400), 60),
      maxLifetimeS: read('DB_MAX_LIFETIME_S', integer(0, 86_400), 1800),
    },
    secrets: {
      settings,
      resolveTimeoutMs: read('SECRET_RESOLVE_TIMEOUT_MS', integer(100, 120_000), 10_000),
      basicAuthRefreshS: read('BASIC_AUTH_REFRESH_S', integer(0, 86_400), 300),
      emulatorHost: read('SECRET_MANAGER_EMULATOR_HOST', hostPort),
    },
    basicAuth,
    port: read('PORT', integer(0, 65535), 8080), // 0: any free port (tests)
    functionTarget,
    replicaMaxLagMs: read('REPLICA_MAX_LAG_MS', integer(1, 600_000), 5000),
    expectedStandbys: read('EXPECTED_STANDBYS', integer(0, 100), 1),
    maxSlotRetainedBytes: read(
      'REPLICA_MAX_SLOT_RETAINED_BYTES',
      integer(0, Number.MAX_SAFE_INTEGER),
      1024 ** 3,
    ),
    serviceName: read('K_SERVICE', text, 'pg-replica-functions'),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

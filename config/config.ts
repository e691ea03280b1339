import type { Option } from './option.js';
import { OptionError } from './option.js';
import {
  type FunctionTarget,
  OPTIONS,
  type OptionName,
  type SecretVariable,
  type SslMode,
} from './options.js';
import type { SecretSetting } from './secretReference.js';

export interface HostConfig {
  host: string;
  port: number;
}

/** Everything a database client needs: hosts, credentials' names, pool and timeouts. */
export interface DatabaseConfig {
  primary: HostConfig;
  /** Where replica reads go: a replica, or a read service balancing over several. */
  replica: HostConfig;
  /** Every replica verified on its own (POSTGRES_REPLICA_ENDPOINTS); default: the read endpoint. */
  replicaEndpoints: HostConfig[];
  user: string;
  database: string;
  sslMode: SslMode;
  /**
   * POSTGRES_SSLROOTCERT: the CA that verify-ca / verify-full check the server
   * against (PEM). A reference until secrets/ resolves it (resolvedDatabase);
   * undefined: verify-full uses the system roots.
   */
  sslRootCert: SecretSetting | undefined;
  poolMax: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  idleTimeoutS: number;
  maxLifetimeS: number;
}

export interface SecretsConfig {
  /** Values or Secret Manager references; resolved by secrets/ before listening. */
  settings: Partial<Record<SecretVariable, SecretSetting>>;
  resolveTimeoutMs: number;
  basicAuthRefreshS: number;
  emulatorHost: string | undefined;
}

export interface ReplicationConfig {
  /** The deployment's service name: one heartbeat row per prober. */
  prober: string;
  maxLagMs: number;
  expectedStandbys: number;
  /** application_name of standbys left unverified on purpose. */
  ignoredStandbys: readonly string[];
  maxSlotRetainedBytes: number;
  /** Sampled windows older than this are pruned from the history. */
  historyHours: number;
}

export interface ServerConfig {
  port: number;
  functionTarget: FunctionTarget;
  /** Names the service in application_name and logs (Cloud Run sets K_SERVICE). */
  serviceName: string;
  /** False only for the standalone replicationCheck target, which Cloud Run IAM guards. */
  basicAuth: boolean;
  /** Where request traces live, for log correlation. */
  traceProject: string | undefined;
}

export interface Config {
  server: ServerConfig;
  database: DatabaseConfig;
  replication: ReplicationConfig;
  secrets: SecretsConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
type Values = { [K in OptionName]: (typeof OPTIONS)[K] extends Option<infer T> ? T : never };

/** Reads every option, listing every problem at once, naming variables and never their values. */
function readAll(env: Env): { values: Values; problems: string[] } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(OPTIONS) as [OptionName, Option<unknown>][]) {
    try {
      values[name] = option.read(env[name]);
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      problems.push(`${name} ${error.message}`);
    }
  }
  return { values: values as Values, problems };
}

/** One option, as the table reads it; throws a ConfigError naming it when invalid. */
export function readOption<K extends OptionName>(env: Env, name: K): Values[K] {
  try {
    return (OPTIONS[name] as Option<Values[K]>).read(env[name]);
  } catch (error) {
    if (error instanceof OptionError) throw new ConfigError([`${name} ${error.message}`]);
    throw error;
  }
}

/**
 * A CA only means something to the modes that check the server: with
 * `require` libpq would quietly verify against it, here the mode says what
 * happens, so the pair is refused. `verify-ca` checks no name, so it needs a
 * CA of the cluster's own: against the system roots any publicly signed
 * certificate, for any name, would pass.
 */
function tlsProblems(mode: SslMode, hasRootCert: boolean): string[] {
  const verifies = mode === 'verify-ca' || mode === 'verify-full';
  if (hasRootCert && !verifies) {
    return [
      `POSTGRES_SSLROOTCERT is set, but POSTGRES_SSLMODE=${mode} checks no certificate: set verify-ca or verify-full, or unset POSTGRES_SSLROOTCERT`,
    ];
  }
  if (mode === 'verify-ca' && !hasRootCert) {
    return [
      "POSTGRES_SSLMODE=verify-ca needs POSTGRES_SSLROOTCERT (the cluster's CA): it checks no host name, so the system roots would accept any publicly signed certificate",
    ];
  }
  return [];
}

/**
 * The typed configuration of the service (`serve`) or of the migration
 * (`migrate`, which needs only the primary). Problems are collected and
 * thrown together.
 */
export function parseConfig(env: Env, scope: 'serve' | 'migrate' = 'serve'): Config {
  const { values: v, problems } = readAll(env);
  const serving = scope === 'serve';
  const basicAuth = serving && v.FUNCTION_TARGET !== 'replicationCheck';
  if (!v.POSTGRES_MAIN_HOST) {
    problems.push('POSTGRES_MAIN_HOST is required (npm start runs a local cluster without it)');
  }
  const required: [OptionName, boolean][] = [
    ['POSTGRES_MAIN_PASSWORD', true],
    ['POSTGRES_REPLICATION_HOST', serving],
    ['BASIC_AUTH_USERNAME', basicAuth],
    ['BASIC_AUTH_PASSWORD', basicAuth],
  ];
  for (const [name, needed] of required) {
    if (needed && !env[name]) problems.push(`${name} is required when POSTGRES_MAIN_HOST is set`);
  }
  const username = v.BASIC_AUTH_USERNAME;
  if (basicAuth && username?.kind === 'literal' && username.value.includes(':')) {
    problems.push('BASIC_AUTH_USERNAME must not contain ":"');
  }
  const replica = { host: v.POSTGRES_REPLICATION_HOST ?? '', port: v.POSTGRES_REPLICATION_PORT };
  const replicaEndpoints = v.POSTGRES_REPLICA_ENDPOINTS?.map((endpoint) => ({
    host: endpoint.host,
    port: endpoint.port ?? replica.port,
  })) ?? [replica];
  // `a` and `a:5432` are the same replica once the default port applies.
  const keys = replicaEndpoints.map((endpoint) => `${endpoint.host}:${endpoint.port}`);
  if (new Set(keys).size !== keys.length) {
    problems.push('POSTGRES_REPLICA_ENDPOINTS lists an endpoint twice');
  }
  // Judged on what was set, so that a malformed value gives one problem, not two.
  if (v.POSTGRES_SSLMODE !== undefined) {
    problems.push(...tlsProblems(v.POSTGRES_SSLMODE, Boolean(env.POSTGRES_SSLROOTCERT)));
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const settings: SecretsConfig['settings'] = {
    POSTGRES_MAIN_PASSWORD: v.POSTGRES_MAIN_PASSWORD,
    // Without its own, the replicas use the main password entry (resolved and rotated once).
    POSTGRES_REPLICATION_PASSWORD: v.POSTGRES_REPLICATION_PASSWORD,
    POSTGRES_SSLROOTCERT: v.POSTGRES_SSLROOTCERT,
    ...(basicAuth
      ? { BASIC_AUTH_USERNAME: v.BASIC_AUTH_USERNAME, BASIC_AUTH_PASSWORD: v.BASIC_AUTH_PASSWORD }
      : {}),
  };
  return {
    server: {
      port: v.PORT,
      functionTarget: v.FUNCTION_TARGET,
      serviceName: v.K_SERVICE,
      basicAuth,
      traceProject: v.GOOGLE_CLOUD_PROJECT,
    },
    database: {
      primary: { host: v.POSTGRES_MAIN_HOST ?? '', port: v.POSTGRES_MAIN_PORT },
      replica,
      replicaEndpoints: v.POSTGRES_REPLICA_ENDPOINTS?.map((endpoint) => ({
        host: endpoint.host,
        port: endpoint.port ?? replica.port,
      })) ?? [replica],
      user: v.POSTGRES_USER,
      database: v.POSTGRES_DB,
      sslMode: v.POSTGRES_SSLMODE,
      sslRootCert: v.POSTGRES_SSLROOTCERT,
      poolMax: v.DB_POOL_MAX,
      connectTimeoutMs: v.DB_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: v.DB_QUERY_TIMEOUT_MS,
      idleTimeoutS: v.DB_IDLE_TIMEOUT_S,
      maxLifetimeS: v.DB_MAX_LIFETIME_S,
    },
    replication: {
      prober: v.K_SERVICE,
      maxLagMs: v.REPLICA_MAX_LAG_MS,
      expectedStandbys: v.EXPECTED_STANDBYS,
      ignoredStandbys: v.REPLICATION_IGNORED_STANDBYS,
      maxSlotRetainedBytes: v.REPLICA_MAX_SLOT_RETAINED_BYTES,
      historyHours: v.REPLICATION_HISTORY_HOURS,
    },
    secrets: {
      settings,
      resolveTimeoutMs: v.SECRET_RESOLVE_TIMEOUT_MS,
      basicAuthRefreshS: v.BASIC_AUTH_REFRESH_S,
      emulatorHost: v.SECRET_MANAGER_EMULATOR_HOST,
    },
  };
}

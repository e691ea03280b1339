// npm run probe -- --primary URI --replica URI [--replica URI …] [options]
// The replication check's sampling window, run from a terminal or by
// Nagios/Icinga against any primary and its standbys: the same modules as
// POST /replication_check (configuration, secrets, the database clients, the
// check and its 503 problem document), no copy of the logic. Exit codes and
// output follow the Monitoring Plugins conventions: 0 OK, 1 WARNING,
// 2 CRITICAL, 3 UNKNOWN (bad arguments, a primary it cannot reach or log
// into).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../config/config.js';
import { createDatabaseClients, endpointName } from '../db/clients.js';
import { DatabaseUnavailableError } from '../db/errors.js';
import { createHeartbeatTable, hasHeartbeatTable } from '../db/heartbeatQueries.js';
import { replicationFailed } from '../http/problems.js';
import { runReplicationCheck } from '../replication/check.js';
import {
  loadConfiguredSecrets,
  resolvedDatabase,
  SecretResolutionError,
} from '../secrets/secretStore.js';
import { databasePasswords } from '../server/credentials.js';
import { EXIT_CODES, nagiosLine, type ProbeResult, table, verdict } from './probeOutput.js';

const USAGE =
  'usage: npm run probe -- --primary URI --replica URI [--replica URI …] [--samples N] [--interval-ms M]\n' +
  '       [--warning MS] [--critical MS] [--format table|json|nagios] [--ignore APPLICATION_NAME …] [--setup]\n' +
  'URIs are libpq connection URIs (postgresql://user@host:port/db?sslmode=…&sslrootcert=FILE); the password\n' +
  'comes from the URI or PGPASSWORD, which may be a Secret Manager reference (gcp:secretmanager:projects/P/secrets/S).';

type Format = 'table' | 'json' | 'nagios';
let format: Format = 'table';

/** Bad arguments, or a cluster the probe cannot look at: UNKNOWN, with a clear message. */
function unknown(message: string): never {
  if (format === 'nagios') console.log(`PG_REPLICA UNKNOWN - ${message.split('\n')[0]}`);
  else console.error(message);
  process.exit(EXIT_CODES.UNKNOWN);
}

function wholeNumber(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    unknown(`--${name} must be a whole number from ${min} to ${max}\n${USAGE}`);
  return value;
}

interface Target {
  host: string;
  port: string;
  user: string;
  password: string | undefined;
  database: string;
  sslmode: string | undefined;
  sslrootcert: string | undefined;
}

function parseUri(flag: string, text: string): Target {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    unknown(`--${flag} must be a postgresql:// connection URI\n${USAGE}`);
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:')
    unknown(`--${flag} must be a postgresql:// connection URI\n${USAGE}`);
  if (!url.hostname) unknown(`--${flag} names no host`);
  const user = decodeURIComponent(url.username) || process.env.PGUSER || 'postgres';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || '5432',
    user,
    password: decodeURIComponent(url.password) || undefined,
    database: decodeURIComponent(url.pathname.slice(1)) || process.env.PGDATABASE || user,
    sslmode: url.searchParams.get('sslmode') ?? process.env.PGSSLMODE,
    sslrootcert: url.searchParams.get('sslrootcert') ?? process.env.PGSSLROOTCERT,
  };
}

const hostPort = (target: Target) => endpointName({ host: target.host, port: Number(target.port) });

let values: Record<string, string | string[] | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      primary: { type: 'string' },
      replica: { type: 'string', multiple: true },
      samples: { type: 'string' },
      'interval-ms': { type: 'string' },
      warning: { type: 'string' },
      critical: { type: 'string' },
      format: { type: 'string' },
      ignore: { type: 'string', multiple: true },
      setup: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }));
} catch (error) {
  unknown(`${(error as Error).message}\n${USAGE}`);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const formatText = (values.format as string | undefined) ?? 'table';
if (formatText !== 'table' && formatText !== 'json' && formatText !== 'nagios')
  unknown(`--format must be table, json or nagios\n${USAGE}`);
format = formatText;
if (typeof values.primary !== 'string') unknown(`--primary is required\n${USAGE}`);
const replicaUris = (values.replica as string[] | undefined) ?? [];
if (replicaUris.length === 0) unknown(`at least one --replica is required\n${USAGE}`);

const samples = wholeNumber('samples', values.samples as string | undefined, 10, 1, 600);
const intervalMs = wholeNumber(
  'interval-ms',
  values['interval-ms'] as string | undefined,
  1000,
  100,
  60_000,
);
if (samples * intervalMs > 15 * 60_000)
  unknown('--samples × --interval-ms must be at most 15 minutes');
const criticalMs = wholeNumber('critical', values.critical as string | undefined, 5000, 1, 600_000);
const warningMs = wholeNumber(
  'warning',
  values.warning as string | undefined,
  Math.min(1000, criticalMs),
  1,
  600_000,
);
if (warningMs > criticalMs) unknown('--warning must not be above --critical');
const thresholds = { warningMs, criticalMs };

const primary = parseUri('primary', values.primary);
const replicas = replicaUris.map((uri) => parseUri('replica', uri));
if (
  replicas.some((replica) => replica.user !== primary.user || replica.database !== primary.database)
)
  unknown('every --replica must name the same user and database as --primary');
const replicaPassword = replicas.find((replica) => replica.password)?.password;
let rootCert: string | undefined;
if (primary.sslrootcert) {
  try {
    rootCert = readFileSync(primary.sslrootcert, 'utf8');
  } catch {
    unknown(`sslrootcert ${primary.sslrootcert} cannot be read`);
  }
}

// The service's own configuration, as its environment would give it.
const env: Record<string, string | undefined> = {
  POSTGRES_MAIN_HOST: primary.host,
  POSTGRES_MAIN_PORT: primary.port,
  POSTGRES_USER: primary.user,
  POSTGRES_DB: primary.database,
  POSTGRES_MAIN_PASSWORD: primary.password ?? process.env.PGPASSWORD,
  POSTGRES_REPLICATION_PASSWORD: replicaPassword,
  POSTGRES_REPLICATION_HOST: replicas[0]?.host,
  POSTGRES_REPLICATION_PORT: replicas[0]?.port,
  POSTGRES_REPLICA_ENDPOINTS: replicas.map(hostPort).join(','),
  POSTGRES_SSLMODE: primary.sslmode ?? 'prefer',
  POSTGRES_SSLROOTCERT: rootCert,
  EXPECTED_STANDBYS: String(replicas.length),
  REPLICATION_IGNORED_STANDBYS: ((values.ignore as string[] | undefined) ?? []).join(','),
  REPLICA_MAX_LAG_MS: String(criticalMs),
  K_SERVICE: 'pg-replica-probe',
  FUNCTION_TARGET: 'replicationCheck',
  DB_CONNECT_TIMEOUT_MS: process.env.DB_CONNECT_TIMEOUT_MS,
  DB_QUERY_TIMEOUT_MS: process.env.DB_QUERY_TIMEOUT_MS,
  SECRET_MANAGER_EMULATOR_HOST: process.env.SECRET_MANAGER_EMULATOR_HOST,
};
if (!env.POSTGRES_MAIN_PASSWORD) unknown('no password: put it in the --primary URI or PGPASSWORD');

let config: ReturnType<typeof parseConfig>;
let secrets: Awaited<ReturnType<typeof loadConfiguredSecrets>>;
try {
  config = parseConfig(env);
  secrets = await loadConfiguredSecrets(config.secrets);
} catch (error) {
  if (error instanceof ConfigError || error instanceof SecretResolutionError)
    unknown(error.message);
  throw error;
}
const db = createDatabaseClients(
  resolvedDatabase(config.database, secrets),
  'pg-replica-probe',
  databasePasswords(secrets),
);
const stopping = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopping.abort());

let exitCode: number;
try {
  if (values.setup) await db.primary.query(({ sql }) => createHeartbeatTable(sql));
  else if (!(await db.primary.query(({ sql }) => hasHeartbeatTable(sql), { idempotent: true })))
    unknown(
      `the primary has no replication_heartbeat table: run once with --setup (it creates only that table)`,
    );
  const result = await runReplicationCheck(
    db,
    { ...config.replication, queryTimeoutMs: config.database.queryTimeoutMs },
    { samples, intervalMs },
    stopping.signal,
  );
  const probed: ProbeResult = result;
  if (format === 'json') {
    // The HTTP answer's body: the report, or the 503 problem document.
    const body = result.ok
      ? result.report
      : replicationFailed('Replication check failed', result.failures, result.report);
    console.log(JSON.stringify(body, null, 2));
  } else if (format === 'nagios') console.log(nagiosLine(probed, thresholds));
  else console.log(table(probed, thresholds));
  exitCode = EXIT_CODES[verdict(probed, thresholds)];
} catch (error) {
  if (error instanceof DatabaseUnavailableError) unknown(error.message);
  throw error;
} finally {
  await db.close();
}
process.exit(exitCode);

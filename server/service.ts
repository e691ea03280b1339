import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.js';
import { createDatabaseClients } from '../db/clients.js';
import { registerFunctions } from '../functions/index.js';
import { createMetrics } from '../functions/metrics.js';
import { describeError, type Logger } from '../log/logger.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { basicAuthCredentials, databasePasswords } from './credentials.js';
import { createHttpServer } from './frameworkAdapter.js';

export interface RunningService {
  server: Server;
  url: string;
  /** The port listened on (PORT=0 picks a free one). */
  port: number;
  /** Stops accepting, lets in-flight requests finish, then closes both pools. */
  close(): Promise<void>;
}

interface ServiceOptions {
  log: Logger;
  secrets: SecretStore;
  /** Interface to listen on; all interfaces when omitted (Cloud Run). */
  host?: string;
}

// Cloud Run allows 10 s between SIGTERM and SIGKILL: connections still open
// after this long are closed so that the pools can close in the rest.
const DRAIN_TIMEOUT_MS = 8000;

// Basic credentials referenced from Secret Manager are read again on an
// interval, so a rotated credential takes effect without a deploy.
function refreshBasicAuth(
  config: Config,
  secrets: SecretStore,
  log: Logger,
): NodeJS.Timeout | undefined {
  const variables = (['BASIC_AUTH_USERNAME', 'BASIC_AUTH_PASSWORD'] as const).filter(
    (variable) => config.server.basicAuth && secrets.isReference(variable),
  );
  if (variables.length === 0 || config.secrets.basicAuthRefreshS === 0) return undefined;
  const timer = setInterval(() => {
    for (const variable of variables) {
      secrets.refresh(variable, { force: true }).catch((error: unknown) => {
        log(
          'WARNING',
          `could not refresh ${variable}; keeping the current value`,
          describeError(error),
        );
      });
    }
  }, config.secrets.basicAuthRefreshS * 1000);
  timer.unref();
  return timer;
}

export async function startService(
  config: Config,
  options: ServiceOptions,
): Promise<RunningService> {
  const { secrets, log } = options;
  const db = createDatabaseClients(
    config.database,
    `${config.server.serviceName}:${config.server.functionTarget}`,
    databasePasswords(secrets),
  );
  const endpoints = config.database.replicaEndpoints.length;
  if (endpoints < config.replication.expectedStandbys) {
    log(
      'WARNING',
      `${endpoints} replica endpoint(s) configured, EXPECTED_STANDBYS is ${config.replication.expectedStandbys}: every check and health answer will fail (endpoints-missing) until POSTGRES_REPLICA_ENDPOINTS lists every standby`,
    );
  }
  const stopping = new AbortController();
  registerFunctions({
    db,
    metrics: createMetrics(db),
    stopping: stopping.signal,
    credentials: config.server.basicAuth ? basicAuthCredentials(secrets) : undefined,
    log,
    replication: { ...config.replication, queryTimeoutMs: config.database.queryTimeoutMs },
  });
  const server = createHttpServer(config.server.functionTarget, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, options.host, () => resolve());
  });
  const refreshTimer = refreshBasicAuth(config, secrets, log);
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? 'localhost';

  let closing: Promise<void> | undefined;
  async function drain(): Promise<void> {
    clearInterval(refreshTimer);
    stopping.abort();
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections go idle as their last response ends: close them then.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.closeIdleConnections();
    await closed;
    clearInterval(sweep);
    clearTimeout(force);
    await Promise.all([db.close(), secrets.close()]);
  }

  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => {
      closing ??= drain();
      return closing;
    },
  };
}

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.js';
import { createDatabaseClients, type DatabaseClients } from '../db/clients.js';
import { registerFunctions } from '../functions/index.js';
import { basicAuthCredentials, databasePasswords } from '../secrets/credentials.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { createHttpServer } from './httpServer.js';
import { describeError, type Logger } from './log.js';

export interface RunningService {
  server: Server;
  db: DatabaseClients;
  url: string;
  /** The port listened on (PORT=0 picks a free one). */
  port: number;
  /** Stops accepting, lets in-flight requests finish, then closes both pools. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  log: Logger;
  secrets: SecretStore;
  /** Interface to listen on; all interfaces when omitted (Cloud Run). */
  host?: string;
  /** Force-closes connections still open this long after close() was called. */
  drainTimeoutMs?: number;
}

// Basic credentials referenced from Secret Manager are read again on an
// interval, so a rotated credential takes effect without a deploy.
function refreshBasicAuth(
  config: Config,
  secrets: SecretStore,
  log: Logger,
): NodeJS.Timeout | undefined {
  const variables = (['BASIC_AUTH_USERNAME', 'BASIC_AUTH_PASSWORD'] as const).filter(
    (variable) => config.basicAuth && secrets.isReference(variable),
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
    `${config.serviceName}:${config.functionTarget}`,
    databasePasswords(secrets),
  );
  const stopping = new AbortController();
  registerFunctions({
    db,
    stopping: stopping.signal,
    credentials: config.basicAuth ? basicAuthCredentials(secrets) : undefined,
    log,
    replication: {
      prober: config.serviceName,
      maxLagMs: config.replicaMaxLagMs,
      expectedStandbys: config.expectedStandbys,
      queryTimeoutMs: config.database.queryTimeoutMs,
      maxSlotRetainedBytes: config.maxSlotRetainedBytes,
    },
  });
  const server = createHttpServer(config.functionTarget, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, options.host, () => resolve());
  });
  const refreshTimer = refreshBasicAuth(config, secrets, log);
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? 'localhost';

  let closing: Promise<void> | undefined;
  async function drain(): Promise<void> {
    clearInterval(refreshTimer);
    stopping.abort();
    const force = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 8000);
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
    db,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => {
      closing ??= drain();
      return closing;
    },
  };
}

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.js';
import { createDatabaseClients, type DatabaseClients } from '../db/clients.js';
import { registerFunctions } from '../functions/index.js';
import type { CredentialSource } from '../http/basicAuth.js';
import { createHttpServer } from './httpServer.js';
import type { Logger } from './log.js';

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
  /** Interface to listen on; all interfaces when omitted (Cloud Run). */
  host?: string;
  credentials?: CredentialSource;
  /** Force-closes connections still open this long after close() was called. */
  drainTimeoutMs?: number;
}

export async function startService(
  config: Config,
  options: ServiceOptions,
): Promise<RunningService> {
  const basicAuth = config.basicAuth;
  const credentials = options.credentials ?? (basicAuth ? () => [basicAuth] : undefined);
  const db = createDatabaseClients(
    config.database,
    `${config.serviceName}:${config.functionTarget}`,
  );
  registerFunctions({ db, credentials, log: options.log });
  const server = createHttpServer(config.functionTarget, options.log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? 'localhost';

  let closing: Promise<void> | undefined;
  async function drain(): Promise<void> {
    const force = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 8000);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections go idle as their last response ends: close them then.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.closeIdleConnections();
    await closed;
    clearInterval(sweep);
    clearTimeout(force);
    await db.close();
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

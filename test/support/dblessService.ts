import { Agent, request as httpRequest } from 'node:http';
import { freePort } from '../../dev/freePort.js';
import type { RunningService } from '../../server/service.js';
import { type CapturedLog, captureProcessLog } from './logCapture.js';
import { startTestService } from './service.js';

export const USER = 'tester';
export const PASSWORD = 'correct horse battery staple';
export const GOOD_AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

export type { CapturedLog };

/**
 * The api target in this process with its database hosts on closed ports:
 * everything the HTTP layer answers before a query (auth, routing,
 * validation, headers, metrics) without a cluster; a query answers 503.
 * Its log is captured as the real logger writes it.
 */
export async function startDblessService(): Promise<{
  service: RunningService;
  log: CapturedLog;
}> {
  const { log: logger, ...log } = captureProcessLog();
  const service = await startTestService(
    {
      POSTGRES_MAIN_HOST: '127.0.0.1',
      POSTGRES_MAIN_PORT: String(await freePort()),
      POSTGRES_REPLICATION_HOST: '127.0.0.1',
      POSTGRES_REPLICATION_PORT: String(await freePort()),
      POSTGRES_MAIN_PASSWORD: 'unused',
      POSTGRES_SSLMODE: 'disable',
      DB_CONNECT_TIMEOUT_MS: '500',
      BASIC_AUTH_USERNAME: USER,
      BASIC_AUTH_PASSWORD: PASSWORD,
      K_SERVICE: 'hardening-test',
    },
    logger,
  );
  return { service, log };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/**
 * One request with node:http, which sends any method Node knows and any
 * request target as it is (fetch refuses some methods and normalises paths).
 */
export function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Closes the kept-alive sockets of raw(). */
export const closeRawAgent = () => agent.destroy();

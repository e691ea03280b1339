import { setTimeout as sleep } from 'node:timers/promises';

interface SecretVersionValue {
  value: string;
  /** The version number that `latest` (or the given version) resolved to. */
  version: number;
}

export interface SecretAccessor {
  /** Reads one version, retrying only UNAVAILABLE, and failing by `deadlineAt` (epoch ms) at the latest. */
  access(name: string, deadlineAt: number): Promise<SecretVersionValue>;
  close(): Promise<void>;
}

/** A failed read, with the gRPC status name (NOT_FOUND, PERMISSION_DENIED, …). */
export class SecretAccessError extends Error {
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecretAccessError';
  }
}

interface AccessorOptions {
  /** `host:port` of a plaintext Secret Manager-compatible server (tests, emulators). */
  emulatorHost: string | undefined;
}

function splitHostPort(hostPort: string): { host: string; port: number } {
  const index = hostPort.lastIndexOf(':');
  return {
    host: hostPort.slice(0, index).replace(/^\[|\]$/g, ''),
    port: Number(hostPort.slice(index + 1)),
  };
}

/**
 * The real SDK client. It is imported here, on first use, so that processes
 * without references never pay its start-up cost (~0.25 s).
 */
export async function createSecretManagerAccessor(
  options: AccessorOptions,
): Promise<SecretAccessor> {
  const [{ SecretManagerServiceClient }, { grpc }] = await Promise.all([
    import('@google-cloud/secret-manager'),
    import('google-gax'),
  ]);
  const client = options.emulatorHost
    ? new SecretManagerServiceClient({
        apiEndpoint: splitHostPort(options.emulatorHost).host,
        port: splitHostPort(options.emulatorHost).port,
        sslCreds: grpc.credentials.createInsecure(),
        // Set, so the client never asks the metadata server for it.
        universeDomain: 'googleapis.com',
      })
    : new SecretManagerServiceClient();
  const statusName = (code: unknown) =>
    (Object.entries(grpc.status).find(([, value]) => value === code)?.[0] as string | undefined) ??
    'UNKNOWN';

  return {
    async access(name, deadlineAt) {
      for (let backoffMs = 100; ; backoffMs = Math.min(backoffMs * 2, 1000)) {
        const remaining = deadlineAt - Date.now();
        if (remaining <= 0)
          throw new SecretAccessError('DEADLINE_EXCEEDED', 'no answer before the deadline');
        try {
          // The SDK's own retries would run for ~90 s on an unreachable
          // endpoint: this loop owns the retry budget instead.
          const [response] = await client.accessSecretVersion(
            { name },
            { timeout: remaining, retry: { retryCodes: [] } },
          );
          const data = response.payload?.data;
          if (data === null || data === undefined)
            throw new SecretAccessError('DATA_LOSS', 'the version has no payload');
          return {
            value: typeof data === 'string' ? data : Buffer.from(data).toString('utf8'),
            version: Number(response.name?.split('/').pop()),
          };
        } catch (error) {
          if (error instanceof SecretAccessError) throw error;
          const code = (error as { code?: unknown }).code;
          const status = statusName(code);
          if (status === 'UNAVAILABLE' && Date.now() + backoffMs < deadlineAt) {
            await sleep(backoffMs);
            continue;
          }
          const details = (error as { details?: string }).details;
          throw new SecretAccessError(status, details || status);
        }
      }
    },
    close: () => client.close(),
  };
}

import type { DestinationStream } from 'pino';
import { ConfigError, parseConfig } from '../config/config.js';
import { OPTIONS } from '../config/options.js';
import { createLogger, type Logger } from '../log/logger.js';
import { setTraceProject } from '../log/trace.js';
import {
  loadConfiguredSecrets,
  resolvedDatabase,
  SecretResolutionError,
} from '../secrets/secretStore.js';
import type { RunningService } from './service.js';
import { onShutdownSignal } from './shutdown.js';

/** The variables the option table marks secret: their values are never logged. */
const SECRET_OPTIONS = Object.entries(OPTIONS)
  .filter(([, option]) => option.secret)
  .map(([name]) => name);

/**
 * The process's logger (stdout unless told): log/ is a leaf and knows no
 * option, so it is told here which keys, beyond its own, are secret.
 */
export function createProcessLogger(destination?: DestinationStream): Logger {
  return createLogger(destination, SECRET_OPTIONS);
}

interface BootstrapOptions {
  log?: Logger;
  host?: string;
  /** Runs after the server has drained, before the process exits (the local cluster stops here). */
  afterClose?: () => Promise<void>;
}

/**
 * Configuration, then secrets (all references resolved before listening),
 * then the server; SIGTERM/SIGINT drain it. Any start-up failure is one log
 * line naming what is wrong, and exit code 1.
 */
export async function bootstrap(
  env: Record<string, string | undefined>,
  options: BootstrapOptions = {},
): Promise<RunningService> {
  const log = options.log ?? createProcessLogger();
  try {
    const config = parseConfig(env);
    setTraceProject(config.server.traceProject);
    // Secret Manager answers while the server's modules load.
    const [secrets, { startService }] = await Promise.all([
      loadConfiguredSecrets(config.secrets),
      import('./service.js'),
    ]);
    const database = resolvedDatabase(config.database, secrets);
    const service = await startService(
      { ...config, database },
      {
        log,
        secrets,
        ...(options.host ? { host: options.host } : {}),
      },
    );
    onShutdownSignal(log, async () => {
      await service.close();
      await options.afterClose?.();
    });
    log('INFO', `serving ${config.server.functionTarget} on port ${service.port}`, {
      target: config.server.functionTarget,
      port: service.port,
    });
    return service;
  } catch (error) {
    const known = error instanceof ConfigError || error instanceof SecretResolutionError;
    log('ERROR', known ? (error as Error).message : `start-up failed: ${String(error)}`);
    await options.afterClose?.();
    process.exit(1);
  }
}

import type { Logger } from '../log/logger.js';

/**
 * Cloud Run sends SIGTERM before stopping an instance; Ctrl-C sends SIGINT.
 * Either drains once; a second signal exits at once.
 */
export function onShutdownSignal(log: Logger, shutdown: () => Promise<void>): void {
  let started = false;
  const handle = (signal: NodeJS.Signals) => {
    if (started) {
      log('WARNING', `second ${signal}: exiting without draining`);
      process.exit(1);
    }
    started = true;
    log('INFO', `${signal} received: draining`);
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        log('ERROR', 'shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

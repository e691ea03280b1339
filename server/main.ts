// The container's entry point: `node dist/server/main.js`.
process.env.NODE_ENV ??= 'production';

import { ConfigError, parseConfig } from '../config/config.js';
import { log } from './log.js';
import { startService } from './service.js';
import { onShutdownSignal } from './shutdown.js';

try {
  const config = parseConfig(process.env);
  const service = await startService(config, { log });
  onShutdownSignal(log, service.close);
  log('INFO', `serving ${config.functionTarget} on port ${service.port}`, {
    target: config.functionTarget,
    port: service.port,
  });
} catch (error) {
  log('ERROR', error instanceof ConfigError ? error.message : `start-up failed: ${String(error)}`);
  process.exit(1);
}

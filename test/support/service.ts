import { parseConfig } from '../../config/config.js';
import type { Logger } from '../../log/logger.js';
import { loadConfiguredSecrets, resolvedDatabase } from '../../secrets/secretStore.js';
import { type RunningService, startService } from '../../server/service.js';

/** The service in this process, as bootstrap starts it, quiet, on a free port. */
export async function startTestService(
  env: Record<string, string | undefined>,
  log: Logger = () => {},
): Promise<RunningService> {
  const config = parseConfig({ PORT: '0', ...env });
  const secrets = await loadConfiguredSecrets(config.secrets);
  return startService(
    { ...config, database: resolvedDatabase(config.database, secrets) },
    { log, secrets, host: '127.0.0.1' },
  );
}

import type { DatabaseClients } from '../db/clients.js';
import type { CredentialSource } from '../http/basicAuth.js';
import type { Logger } from '../log/logger.js';
import type { CheckSettings } from '../replication/check.js';
import type { Metrics } from './metrics.js';

/** What the handlers share for the life of the process. */
export interface ServiceDependencies {
  db: DatabaseClients;
  credentials: CredentialSource | undefined;
  log: Logger;
  replication: CheckSettings;
  /** Aborted when the server starts draining: running sampling windows end early. */
  stopping: AbortSignal;
  metrics: Metrics;
}

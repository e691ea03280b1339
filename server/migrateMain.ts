// `npm run db:migrate`, and the Cloud Run migration job: node dist/server/migrateMain.js
import { ConfigError, parseConfig } from '../config/config.js';
import { runMigrations } from '../db/migrate.js';
import { isTlsRefused, TLS_REFUSED_REASON } from '../db/sqlState.js';
import {
  loadConfiguredSecrets,
  resolvedDatabase,
  SecretResolutionError,
} from '../secrets/secretStore.js';
import { createProcessLogger } from './bootstrap.js';

const log = createProcessLogger();

let target = '';
try {
  const config = parseConfig(process.env, 'migrate');
  const { database } = config;
  target = `${database.primary.host}:${database.primary.port}`;
  const secrets = await loadConfiguredSecrets({
    ...config.secrets,
    settings: {
      POSTGRES_MAIN_PASSWORD: config.secrets.settings.POSTGRES_MAIN_PASSWORD,
      // The CA the job verifies the primary against, as the service does.
      POSTGRES_SSLROOTCERT: config.secrets.settings.POSTGRES_SSLROOTCERT,
    },
  });
  await runMigrations(
    resolvedDatabase(database, secrets),
    secrets.current('POSTGRES_MAIN_PASSWORD'),
  );
  await secrets.close();
  log('INFO', 'migrations applied', { host: database.primary.host, database: database.database });
} catch (error) {
  const known = error instanceof ConfigError || error instanceof SecretResolutionError;
  const message = known
    ? (error as Error).message
    : isTlsRefused(error)
      ? `migration failed: the server at ${target} ${TLS_REFUSED_REASON}`
      : `migration failed: ${String(error)}`;
  log('ERROR', message);
  process.exitCode = 1;
}

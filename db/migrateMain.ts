// `npm run db:migrate`, and the Cloud Run migration job: node dist/db/migrateMain.js
import { ConfigError, parseConfig } from '../config/config.js';
import { loadConfiguredSecrets } from '../secrets/loadFromConfig.js';
import { SecretResolutionError } from '../secrets/secretStore.js';
import { log } from '../server/log.js';
import { runMigrations } from './migrate.js';

try {
  const config = parseConfig(process.env, 'migrate');
  const { database } = config;
  const secrets = await loadConfiguredSecrets({
    ...config.secrets,
    settings: { POSTGRES_MAIN_PASSWORD: config.secrets.settings.POSTGRES_MAIN_PASSWORD },
  });
  await runMigrations({
    host: database.primary.host,
    port: database.primary.port,
    user: database.user,
    database: database.database,
    password: secrets.current('POSTGRES_MAIN_PASSWORD'),
    sslMode: database.sslMode,
    connectTimeoutMs: database.connectTimeoutMs,
  });
  await secrets.close();
  log('INFO', 'migrations applied', { host: database.primary.host, database: database.database });
} catch (error) {
  const known = error instanceof ConfigError || error instanceof SecretResolutionError;
  log('ERROR', known ? (error as Error).message : `migration failed: ${String(error)}`);
  process.exitCode = 1;
}

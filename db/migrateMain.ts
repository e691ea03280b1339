// `npm run db:migrate`, and the Cloud Run migration job: node dist/db/migrateMain.js
import { ConfigError, parseConfig } from '../config/config.js';
import { log } from '../server/log.js';
import { runMigrations } from './migrate.js';

try {
  const { database } = parseConfig(process.env, 'migrate');
  await runMigrations({ ...database.primary, ...database });
  log('INFO', 'migrations applied', { host: database.primary.host, database: database.database });
} catch (error) {
  log('ERROR', error instanceof ConfigError ? error.message : `migration failed: ${String(error)}`);
  process.exitCode = 1;
}

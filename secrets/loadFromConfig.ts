import type { DatabaseConfig, SecretsConfig } from '../config/config.js';
import { certificatesProblem } from '../config/parsers.js';
import { createSecretManagerAccessor } from './secretManagerAccess.js';
import { loadSecrets, type SecretStore } from './secretStore.js';

/** Resolves the configured secrets, importing the SDK only if a reference is present. */
export function loadConfiguredSecrets(config: SecretsConfig): Promise<SecretStore> {
  return loadSecrets(config.settings, {
    createAccessor: () => createSecretManagerAccessor({ emulatorHost: config.emulatorHost }),
    timeoutMs: config.resolveTimeoutMs,
    withPrevious: ['BASIC_AUTH_USERNAME', 'BASIC_AUTH_PASSWORD'],
    // A literal CA was checked by parseConfig; a referenced one is checked here.
    validate: { POSTGRES_SSLROOTCERT: certificatesProblem },
  });
}

/**
 * The database configuration with its CA in place: a referenced
 * POSTGRES_SSLROOTCERT as resolved at start-up (pools refuse an unresolved
 * one). Read once: a new CA takes a new revision or restart.
 */
export function resolvedDatabase(database: DatabaseConfig, store: SecretStore): DatabaseConfig {
  if (database.sslRootCert?.kind !== 'reference') return database;
  return {
    ...database,
    sslRootCert: { kind: 'literal', value: store.current('POSTGRES_SSLROOTCERT') },
  };
}

import type { SecretsConfig } from '../config/config.js';
import { createSecretManagerAccessor } from './secretManagerAccess.js';
import { loadSecrets, type SecretStore } from './secretStore.js';

/** Resolves the configured secrets, importing the SDK only if a reference is present. */
export function loadConfiguredSecrets(config: SecretsConfig): Promise<SecretStore> {
  return loadSecrets(config.settings, {
    createAccessor: () => createSecretManagerAccessor({ emulatorHost: config.emulatorHost }),
    timeoutMs: config.resolveTimeoutMs,
    withPrevious: ['BASIC_AUTH_USERNAME', 'BASIC_AUTH_PASSWORD'],
  });
}

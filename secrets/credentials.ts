import type { PasswordSource } from '../db/clients.js';
import type { HostRole } from '../db/errors.js';
import type { CredentialSource } from '../http/basicAuth.js';
import type { SecretStore } from './secretStore.js';

/** Database passwords from the store; a rejected password is read again from Secret Manager. */
export function databasePasswords(store: SecretStore): PasswordSource {
  const variableOf = (role: HostRole) =>
    role === 'replica' && store.has('POSTGRES_REPLICATION_PASSWORD')
      ? 'POSTGRES_REPLICATION_PASSWORD'
      : 'POSTGRES_MAIN_PASSWORD';
  return {
    current: (role) => store.current(variableOf(role)),
    async refresh(role) {
      const variable = variableOf(role);
      if (!store.isReference(variable)) return false;
      // A failed read keeps the old value; the one retry then fails as before.
      await store.refresh(variable).catch(() => {});
      return true;
    },
  };
}

/** Every accepted username × password pair: two of each during a rotation window. */
export function basicAuthCredentials(store: SecretStore): CredentialSource {
  return () =>
    store
      .accepted('BASIC_AUTH_USERNAME')
      .flatMap((username) =>
        store.accepted('BASIC_AUTH_PASSWORD').map((password) => ({ username, password })),
      );
}

import type { PasswordSource } from '../db/clients.js';
import type { HostRole } from '../db/errors.js';
import type { CredentialSource } from '../http/basicAuth.js';
import type { SecretStore } from './secretStore.js';

const PASSWORD_VARIABLE = {
  primary: 'POSTGRES_MAIN_PASSWORD',
  replica: 'POSTGRES_REPLICATION_PASSWORD',
} as const satisfies Record<HostRole, string>;

/** Database passwords from the store; a rejected password is read again from Secret Manager. */
export function databasePasswords(store: SecretStore): PasswordSource {
  return {
    current: (role) => store.current(PASSWORD_VARIABLE[role]),
    async refresh(role) {
      const variable = PASSWORD_VARIABLE[role];
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

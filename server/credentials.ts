import type { PasswordSource } from '../db/clients.js';
import type { HostRole } from '../db/errors.js';
import type { CredentialSource } from '../http/basicAuth.js';
import type { SecretStore } from '../secrets/secretStore.js';

const RECENT_CHANGE_MS = 5000;

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
      const before = store.current(variable);
      await store.refresh(variable).catch(() => {});
      // Retry when the password just changed: by this refresh, or by another
      // one moments ago while this connection was still authenticating with
      // the old value. A wrong password that did not change is not retried.
      return (
        store.current(variable) !== before ||
        Date.now() - store.changedAt(variable) < RECENT_CHANGE_MS
      );
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

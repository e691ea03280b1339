import type { DatabaseConfig } from '../config/config.js';
import { type CountryQueries, prepareCountryQueries } from './countryQueries.js';
import type { HostRole } from './errors.js';
import { createHostClient, type HostClient } from './hostClient.js';

export type CountryHost = HostClient<CountryQueries>;

export interface DatabaseClients {
  primary: CountryHost;
  replica: CountryHost;
  close(): Promise<void>;
}

export interface PasswordSource {
  /** The current password of a host; read for every new connection. */
  current(role: HostRole): string | Promise<string>;
  /** After Postgres rejected the password: reads it again; true if retrying may help. */
  refresh(role: HostRole): Promise<boolean>;
}

/** The two shared clients of the process, created once and used by every handler. */
export function createDatabaseClients(
  config: DatabaseConfig,
  applicationName: string,
  passwords: PasswordSource,
): DatabaseClients {
  const open = (role: HostRole) =>
    createHostClient(
      {
        role,
        host: config[role].host,
        port: config[role].port,
        user: config.user,
        database: config.database,
        password: () => passwords.current(role),
        onAuthenticationFailure: () => passwords.refresh(role),
        sslMode: config.sslMode,
        poolMax: config.poolMax,
        connectTimeoutMs: config.connectTimeoutMs,
        queryTimeoutMs: config.queryTimeoutMs,
        idleTimeoutS: config.idleTimeoutS,
        maxLifetimeS: config.maxLifetimeS,
        applicationName,
      },
      prepareCountryQueries,
    );
  const primary = open('primary');
  const replica = open('replica');
  return {
    primary,
    replica,
    async close() {
      await Promise.all([primary.close(), replica.close()]);
    },
  };
}

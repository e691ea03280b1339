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

/** The current password of a host; re-read for every new connection. */
export type PasswordSource = (role: HostRole) => string | Promise<string>;

/** The two shared clients of the process, created once and used by every handler. */
export function createDatabaseClients(
  config: DatabaseConfig,
  applicationName: string,
  passwordOf: PasswordSource = (role) => config[role].password,
): DatabaseClients {
  const open = (role: HostRole) =>
    createHostClient(
      {
        role,
        host: config[role].host,
        port: config[role].port,
        user: config.user,
        database: config.database,
        password: () => passwordOf(role),
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

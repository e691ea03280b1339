import type { DatabaseConfig, HostConfig } from '../config/config.js';
import { type CountryQueries, prepareCountryQueries } from './countryQueries.js';
import type { HostRole } from './errors.js';
import { createHostClient, type HostClient } from './hostClient.js';

export type CountryHost = HostClient<CountryQueries>;
export type EndpointHost = HostClient<undefined>;

/** A replica verified on its own, on a small pool of its own. */
export interface ReplicaEndpoint {
  /** `host:port`, as configured. */
  endpoint: string;
  client: EndpointHost;
}

export interface DatabaseClients {
  primary: CountryHost;
  /** Where replica reads go (POSTGRES_REPLICATION_HOST). */
  replica: CountryHost;
  /** Every replica in POSTGRES_REPLICA_ENDPOINTS, in configured order. */
  endpoints: ReplicaEndpoint[];
  close(): Promise<void>;
}

export interface PasswordSource {
  /** The current password of a host; read for every new connection. */
  current(role: HostRole): string | Promise<string>;
  /** After Postgres rejected the password: reads it again; true if retrying may help. */
  refresh(role: HostRole): Promise<boolean>;
}

// The check polls a replica on one connection at a time; a second one covers
// a poll that outlives its window while the next begins.
const ENDPOINT_POOL_MAX = 2;

export const endpointName = (host: HostConfig) =>
  `${host.host.includes(':') ? `[${host.host}]` : host.host}:${host.port}`;

/** The shared clients of the process, created once and used by every handler. */
export function createDatabaseClients(
  config: DatabaseConfig,
  applicationName: string,
  passwords: PasswordSource,
): DatabaseClients {
  const settings = (role: HostRole, host: HostConfig, poolMax: number) => ({
    role,
    database: config,
    host,
    poolMax,
    applicationName,
    password: () => passwords.current(role),
    onAuthenticationFailure: () => passwords.refresh(role),
  });
  const primary = createHostClient(
    settings('primary', config.primary, config.poolMax),
    prepareCountryQueries,
  );
  const replica = createHostClient(
    settings('replica', config.replica, config.poolMax),
    prepareCountryQueries,
  );
  const endpoints = config.replicaEndpoints.map((host) => {
    const endpoint = endpointName(host);
    return {
      endpoint,
      client: createHostClient(
        { ...settings('replica', host, ENDPOINT_POOL_MAX), endpoint },
        () => undefined,
      ),
    };
  });
  return {
    primary,
    replica,
    endpoints,
    async close() {
      await Promise.all(
        [primary, replica, ...endpoints.map((e) => e.client)].map((c) => c.close()),
      );
    },
  };
}

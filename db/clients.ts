import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { DatabaseConfig, HostConfig } from '../config/config.js';
import { primaryCountryQueries, replicaCountryQueries } from './countryQueries.js';
import type { HostRole } from './errors.js';
import { beatQuery, latestBeatsQuery, seenQuery } from './heartbeatQueries.js';
import { newestWindowsQuery, storeWindowQuery } from './historyQueries.js';
import { createHostClient, type HostClient } from './hostClient.js';
import { replayedQuery, walInsertLsnQuery } from './readYourWritesQueries.js';
import {
  hostFactsQuery,
  replicationSlotsQuery,
  standbysQuery,
  walReceiverQuery,
} from './replicationQueries.js';

// What each pool runs, prepared once when it opens (see statements.ts).
const primaryQueries = (db: PostgresJsDatabase) => ({
  ...primaryCountryQueries(db),
  walInsertLsn: walInsertLsnQuery(db),
  beat: beatQuery(db),
  latestBeats: latestBeatsQuery(db),
  hostFacts: hostFactsQuery(db),
  standbys: standbysQuery(db),
  replicationSlots: replicationSlotsQuery(db),
  storeWindow: storeWindowQuery(db),
  newestWindows: newestWindowsQuery(db),
});
const replicaQueries = (db: PostgresJsDatabase) => ({
  ...replicaCountryQueries(db),
  replayed: replayedQuery(db),
});
const endpointQueries = (db: PostgresJsDatabase) => ({
  hostFacts: hostFactsQuery(db),
  walReceiver: walReceiverQuery(db),
  latestBeats: latestBeatsQuery(db),
});
const samplerQueries = (db: PostgresJsDatabase) => ({ seen: seenQuery(db) });

export type PrimaryQueries = ReturnType<typeof primaryQueries>;
export type PrimaryHost = HostClient<PrimaryQueries>;
/** The replica's statements: on its pool, or on one transaction (transaction.ts). */
export type ReplicaQueries = ReturnType<typeof replicaQueries>;
export type ReplicaHost = HostClient<ReplicaQueries>;

/** A replica verified on its own, on small pools of its own. */
export interface ReplicaEndpoint {
  /** `host:port`, as configured. */
  endpoint: string;
  /** Reads of its state (the check's topology, the health). */
  client: HostClient<ReturnType<typeof endpointQueries>>;
  /** The sampling windows' polls, apart from the reads so that none waits behind them. */
  sampler: HostClient<ReturnType<typeof samplerQueries>>;
}

export interface DatabaseClients {
  primary: PrimaryHost;
  /** Where replica reads go (POSTGRES_REPLICATION_HOST). */
  replica: ReplicaHost;
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

// A sampling window polls a replica on one connection at a time, and at most
// MAX_WINDOWS windows run at once in a process (replication/windowRegistry.ts):
// a poll never queues, so queueing is never counted as lag. Callers of the
// api target's check take at most CALLER_WINDOWS of them; the rest are the
// scheduled prober's (the replicationCheck target), which may take any: two,
// since a minute's window and the tail of the one before may overlap. Pools
// open connections as they are needed: an api instance never opens more than
// CALLER_WINDOWS. Reads of its state get one connection of their own.
export const CALLER_WINDOWS = 2;
const SCHEDULED_WINDOWS = 2;
export const MAX_WINDOWS = CALLER_WINDOWS + SCHEDULED_WINDOWS;
const ENDPOINT_READ_POOL_MAX = 1;

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
    primaryQueries,
  );
  const replica = createHostClient(
    settings('replica', config.replica, config.poolMax),
    replicaQueries,
  );
  const endpoints = config.replicaEndpoints.map((host) => {
    const endpoint = endpointName(host);
    const pool = <Queries>(poolMax: number, queries: (db: PostgresJsDatabase) => Queries) =>
      createHostClient({ ...settings('replica', host, poolMax), endpoint }, queries);
    return {
      endpoint,
      client: pool(ENDPOINT_READ_POOL_MAX, endpointQueries),
      sampler: pool(MAX_WINDOWS, samplerQueries),
    };
  });
  return {
    primary,
    replica,
    endpoints,
    async close() {
      const hosts = [primary, replica, ...endpoints.flatMap((e) => [e.client, e.sampler])];
      await Promise.all(hosts.map((host) => host.close()));
    },
  };
}

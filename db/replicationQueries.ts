import { sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { rawStatement } from './statements.js';

// Catalog queries for replication health. They need pg_monitor (CloudNativePG's
// app owner gets it), never a superuser. Numbers come back as float8 because
// postgres.js returns numeric and int8 as strings; timestamps are strings
// because Drizzle turns postgres.js's date parsing off for the whole pool.

export interface HostFacts {
  in_recovery: boolean;
  system_identifier: string;
  timeline: number;
  /** The primary's WAL write position; null in recovery. */
  current_lsn: string | null;
  /** In recovery: what has been received and replayed. */
  receive_lsn: string | null;
  replay_lsn: string | null;
  last_replay_at: string | null;
  /** In recovery: replay paused (pg_wal_replay_pause) or pausing. */
  replay_paused: boolean;
  /** recovery_min_apply_delay: a standby that replays late on purpose. */
  apply_delay_ms: number;
  /** Tells two servers apart whatever address reaches them: address, port, start time. */
  server_identity: string;
  /** Whether the database has the heartbeat table (a server of another cluster may not). */
  has_heartbeats: boolean;
  synchronous_standby_names: string;
  synchronous_commit: string;
}

export const hostFactsQuery = (db: PostgresJsDatabase) =>
  rawStatement<HostFacts>(
    db,
    'host_facts',
    sql`
    select pg_is_in_recovery() as in_recovery,
           (select system_identifier::text from pg_control_system()) as system_identifier,
           case when pg_is_in_recovery()
                then coalesce((select received_tli from pg_stat_wal_receiver),
                              (select timeline_id from pg_control_checkpoint()))
                else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int
           end as timeline,
           case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end as current_lsn,
           pg_last_wal_receive_lsn()::text as receive_lsn,
           pg_last_wal_replay_lsn()::text as replay_lsn,
           pg_last_xact_replay_timestamp() as last_replay_at,
           pg_is_in_recovery() and pg_get_wal_replay_pause_state() <> 'not paused' as replay_paused,
           (select setting::int from pg_settings where name = 'recovery_min_apply_delay')
             as apply_delay_ms,
           concat_ws(':', inet_server_addr(), inet_server_port(), pg_postmaster_start_time())
             as server_identity,
           to_regclass('replication_heartbeat') is not null as has_heartbeats,
           current_setting('synchronous_standby_names') as synchronous_standby_names,
           current_setting('synchronous_commit') as synchronous_commit`,
  );

export interface StandbyRow {
  application_name: string;
  /** The replication slot this standby streams from, if any. */
  slot_name: string | null;
  client_addr: string | null;
  state: string;
  sync_state: string;
  sent_lsn: string | null;
  replay_lsn: string | null;
  write_lag_ms: number | null;
  flush_lag_ms: number | null;
  replay_lag_ms: number | null;
  replay_lag_bytes: number | null;
}

/** On the primary: every standby streaming from it. */
export const standbysQuery = (db: PostgresJsDatabase) =>
  rawStatement<StandbyRow>(
    db,
    'standbys',
    sql`
    select r.application_name, s.slot_name, host(r.client_addr) as client_addr, r.state,
           r.sync_state, r.sent_lsn::text, r.replay_lsn::text,
           (extract(epoch from r.write_lag) * 1000)::float8 as write_lag_ms,
           (extract(epoch from r.flush_lag) * 1000)::float8 as flush_lag_ms,
           (extract(epoch from r.replay_lag) * 1000)::float8 as replay_lag_ms,
           pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::float8 as replay_lag_bytes
    from pg_stat_replication r
    left join pg_replication_slots s on s.active_pid = r.pid
    order by r.application_name, r.client_addr`,
  );

export interface SlotRow {
  slot_name: string;
  slot_type: string;
  active: boolean;
  wal_status: string | null;
  retained_wal_bytes: number | null;
}

/** On the primary: WAL each replication slot keeps from being recycled. */
export const replicationSlotsQuery = (db: PostgresJsDatabase) =>
  rawStatement<SlotRow>(
    db,
    'replication_slots',
    sql`
    select slot_name, slot_type, active, wal_status,
           pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 as retained_wal_bytes
    from pg_replication_slots
    order by slot_name`,
  );

export interface WalReceiverRow {
  status: string;
  sender_host: string | null;
  sender_port: number | null;
  received_tli: number;
  flushed_lsn: string | null;
  latest_end_lsn: string | null;
  last_msg_receipt_time: string | null;
  slot_name: string | null;
  /** The name the primary's pg_stat_replication knows this standby by. */
  application_name: string | null;
}

/**
 * On a standby: its WAL receiver. Of its conninfo, which names the
 * replication user, only application_name is read.
 */
export const walReceiverQuery = (db: PostgresJsDatabase) =>
  rawStatement<WalReceiverRow>(
    db,
    'wal_receiver',
    sql`
    select status, sender_host, sender_port, received_tli, flushed_lsn::text,
           latest_end_lsn::text, last_msg_receipt_time, slot_name,
           coalesce(substring(conninfo from 'application_name=([^ ]+)'),
                    nullif(current_setting('cluster_name'), '')) as application_name
    from pg_stat_wal_receiver`,
  );

import type {
  HostFacts,
  SlotRow,
  StandbyRow,
  WalReceiverRow,
} from '../../db/replicationQueries.js';
import type { Beats, EndpointView, PrimaryView, Topology } from '../../replication/topology.js';

// Facts as the catalog queries return them, for unit tests of the rules that
// read them: a healthy primary with two streaming standbys unless overridden.

export const SYSTEM_ID = '7300000000000000001';

export const primaryFacts = (over: Partial<HostFacts> = {}): HostFacts => ({
  in_recovery: false,
  system_identifier: SYSTEM_ID,
  timeline: 1,
  current_lsn: '0/3000148',
  receive_lsn: null,
  replay_lsn: null,
  last_replay_at: null,
  replay_paused: false,
  apply_delay_ms: 0,
  server_identity: '10.0.0.5:5432:2026-01-01 00:00:00+00',
  has_heartbeats: true,
  synchronous_standby_names: '',
  synchronous_commit: 'on',
  ...over,
});

export const replicaFacts = (over: Partial<HostFacts> = {}): HostFacts =>
  primaryFacts({
    in_recovery: true,
    current_lsn: null,
    receive_lsn: '0/3000148',
    replay_lsn: '0/3000148',
    last_replay_at: '2026-01-01 00:00:01+00',
    server_identity: '10.0.0.7:5432:2026-01-01 00:00:00+00',
    ...over,
  });

export const standbyRow = (name: string, over: Partial<StandbyRow> = {}): StandbyRow => ({
  application_name: name,
  slot_name: `slot_${name}`,
  client_addr: '10.0.0.7',
  state: 'streaming',
  sync_state: 'async',
  sent_lsn: '0/3000148',
  replay_lsn: '0/3000148',
  write_lag_ms: 0.2,
  flush_lag_ms: 0.3,
  replay_lag_ms: 0.4,
  replay_lag_bytes: 0,
  ...over,
});

export const walReceiver = (name: string, over: Partial<WalReceiverRow> = {}): WalReceiverRow => ({
  status: 'streaming',
  sender_host: '10.0.0.5',
  sender_port: 5432,
  received_tli: 1,
  flushed_lsn: '0/3000148',
  latest_end_lsn: '0/3000148',
  last_msg_receipt_time: '2026-01-01 00:00:01+00',
  slot_name: `slot_${name}`,
  application_name: name,
  ...over,
});

export const slotRow = (name: string, over: Partial<SlotRow> = {}): SlotRow => ({
  slot_name: name,
  slot_type: 'physical',
  active: true,
  wal_status: 'reserved',
  retained_wal_bytes: 0,
  ...over,
});

export const beats = (
  sequences: Record<string, number> = {},
  ageMs: Record<string, number> = {},
): Beats => ({
  sequences: new Map(Object.entries(sequences)),
  ageMs: new Map(Object.entries(ageMs)),
});

export const primaryView = (over: Partial<PrimaryView> = {}): PrimaryView => ({
  facts: primaryFacts(),
  standbys: [standbyRow('pg-1'), standbyRow('pg-2', { client_addr: '10.0.0.8' })],
  slots: [slotRow('slot_pg-1'), slotRow('slot_pg-2')],
  beats: beats(),
  ...over,
});

/** A replica endpoint streaming as `name` (its slot is `slot_<name>`). */
export const endpointView = (
  endpoint: string,
  name: string,
  over: Partial<EndpointView> = {},
): EndpointView => ({
  endpoint,
  facts: replicaFacts({ server_identity: `${endpoint}:2026-01-01 00:00:00+00` }),
  walReceiver: walReceiver(name),
  beats: beats(),
  unreachable: undefined,
  ...over,
});

export const topology = (over: Partial<Topology> = {}): Topology => ({
  primary: primaryView(),
  primaryUnreachable: undefined,
  endpoints: [endpointView('10.0.0.7:5432', 'pg-1'), endpointView('10.0.0.8:5432', 'pg-2')],
  ...over,
});

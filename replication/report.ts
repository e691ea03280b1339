import { lsnToBytes } from '../db/lsn.js';
import type { Topology } from './topology.js';

const round = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? null : Number(value.toFixed(digits));

/** Replay lag in bytes between the two hosts as read at the same moment, never negative. */
export function lagBytes(topology: Topology): number | null {
  const primaryLsn = topology.primary?.facts.current_lsn;
  const replayLsn = topology.replica?.facts.replay_lsn;
  if (!primaryLsn || !replayLsn) return null;
  return Math.max(0, lsnToBytes(primaryLsn) - lsnToBytes(replayLsn));
}

/** Both hosts, every standby and slot, as the API prints them. */
export function describeTopology(topology: Topology) {
  const { primary, replica } = topology;
  return {
    primary: primary
      ? {
          in_recovery: primary.facts.in_recovery,
          system_identifier: primary.facts.system_identifier,
          timeline: primary.facts.timeline,
          current_lsn: primary.facts.current_lsn,
          synchronous_standby_names: primary.facts.synchronous_standby_names,
          synchronous_commit: primary.facts.synchronous_commit,
        }
      : null,
    replica: replica
      ? {
          in_recovery: replica.facts.in_recovery,
          system_identifier: replica.facts.system_identifier,
          timeline: replica.facts.timeline,
          receive_lsn: replica.facts.receive_lsn,
          replay_lsn: replica.facts.replay_lsn,
          last_replay_at: replica.facts.last_replay_at,
          wal_receiver: replica.walReceiver,
        }
      : null,
    standbys: (primary?.standbys ?? []).map((standby) => ({
      ...standby,
      write_lag_ms: round(standby.write_lag_ms),
      flush_lag_ms: round(standby.flush_lag_ms),
      replay_lag_ms: round(standby.replay_lag_ms),
    })),
    replication_slots: primary?.slots ?? [],
    synchronous_standby: topology.synchronousStandby,
  };
}

export { round };

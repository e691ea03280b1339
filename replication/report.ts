import { lsnDiffBytes } from '../db/lsn.js';
import { synchronousStandby } from './assess.js';
import type { EndpointView, PrimaryView, Topology } from './topology.js';

export const round = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? null : Number(value.toFixed(digits));

/** Replay lag in bytes of one replica, read at the same moment as the primary; never negative. */
export function endpointLagBytes(
  primary: PrimaryView | undefined,
  view: EndpointView,
): number | null {
  const primaryLsn = primary?.facts.current_lsn;
  const replayLsn = view.facts?.in_recovery ? view.facts.replay_lsn : null;
  if (!primaryLsn || !replayLsn) return null;
  return Math.max(0, lsnDiffBytes(primaryLsn, replayLsn));
}

/** The primary, the first replica endpoint, every standby and slot, as the API prints them. */
export function describeTopology(topology: Topology) {
  const { primary } = topology;
  const replica = topology.endpoints[0];
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
    replica: replica?.facts
      ? {
          endpoint: replica.endpoint,
          in_recovery: replica.facts.in_recovery,
          system_identifier: replica.facts.system_identifier,
          timeline: replica.facts.timeline,
          receive_lsn: replica.facts.receive_lsn,
          replay_lsn: replica.facts.replay_lsn,
          replay_paused: replica.facts.replay_paused,
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
    synchronous_standby: synchronousStandby(primary),
  };
}

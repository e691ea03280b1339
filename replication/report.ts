import type { EndpointVerdict, Verdict } from './assess.js';
import { endpointLagBytes, synchronousStandby } from './assess.js';
import { summarise, UNKNOWN_LAG } from './lagSummary.js';
import type {
  CheckReplica,
  CheckReport,
  HealthReplica,
  HealthReport,
  ReplicaEntry,
  TopologyReport,
} from './reportSchema.js';
import { knownLags, type Window, type WindowResult } from './sampler.js';
import type { Topology } from './topology.js';

// The one builder of the check's and the health's answers from a verdict:
// what both say of the hosts and of each replica is written here once.

const round = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? null : Number(value.toFixed(digits));

const worst = (values: (number | null)[]) => {
  const known = values.filter((value): value is number => value !== null);
  return known.length > 0 ? Math.max(...known) : null;
};

/** The primary, the first replica endpoint, every standby and slot, as the API prints them. */
function describeTopology(topology: Topology): TopologyReport {
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

/** What every answer says of a replica but its failures, which each answer lists last. */
function replicaEntry(
  { assessment, view, failures }: EndpointVerdict,
  replayLsn: string | null,
): Omit<ReplicaEntry, 'failures'> {
  return {
    endpoint: view.endpoint,
    ok: failures.length === 0,
    role: assessment.role,
    application_name: assessment.standby?.application_name ?? null,
    replay_lsn: replayLsn,
    timeline: view.facts?.timeline ?? null,
  };
}

interface CheckContext {
  prober: string;
  maxLagMs: number;
  expectedStandbys: number;
  window: Window;
  /** Why the window ended early, if it did. */
  interrupted: string | undefined;
}

/** The replication check's answer: each replica's window, the worst lag, events, the hosts. */
export function checkReport(
  verdict: Verdict,
  topology: Topology,
  result: WindowResult | undefined,
  context: CheckContext,
): CheckReport {
  const replicas = verdict.endpoints.map((endpoint): CheckReplica => {
    const samples = result?.endpoints.get(endpoint.view.endpoint);
    return {
      ...replicaEntry(
        endpoint,
        samples?.last?.replayLsn ?? endpoint.view.facts?.replay_lsn ?? null,
      ),
      samples: samples?.samples ?? 0,
      seen: samples?.seen ?? 0,
      polls: samples?.polls ?? 0,
      lag_ms: samples ? summarise(knownLags(samples.byBeat), samples.seen) : UNKNOWN_LAG,
      failures: endpoint.failures,
    };
  });
  const lastBeat = result?.beats.at(-1);
  const slowest = replicas
    .filter((replica) => replica.lag_ms.last !== null)
    .sort((a, b) => (b.lag_ms.last ?? 0) - (a.lag_ms.last ?? 0))[0];
  return {
    status: verdict.failures.length === 0 ? 'ok' : 'failing',
    prober: context.prober,
    samples: context.window.samples,
    interval_ms: context.window.intervalMs,
    ...(context.interrupted !== undefined ? { interrupted: context.interrupted } : {}),
    lag_ms: round(slowest?.lag_ms.last),
    threshold_ms: context.maxLagMs,
    primary_lsn: lastBeat?.lsn ?? null,
    replica_lsn: slowest?.replay_lsn ?? null,
    lag_bytes: worst(topology.endpoints.map((view) => endpointLagBytes(topology.primary, view))),
    heartbeat_sequence: lastBeat?.sequence ?? null,
    expected_standbys: context.expectedStandbys,
    replicas,
    events: result?.events ?? [],
    ...describeTopology(topology),
  };
}

/** The health's answer: each replica's lag read without writing, the worst, the hosts. */
export function healthReport(
  verdict: Verdict,
  topology: Topology,
  limits: { maxLagMs: number; maxLagBytes: number | undefined },
): HealthReport {
  const replicas = verdict.endpoints.map((endpoint): HealthReplica => {
    return {
      ...replicaEntry(endpoint, endpoint.view.facts?.replay_lsn ?? null),
      lag_bytes: endpoint.lag.bytes,
      lag_ms: round(endpoint.lag.ms),
      replay_paused: endpoint.view.facts?.replay_paused ?? null,
      wal_receiver: endpoint.view.walReceiver?.status ?? null,
      failures: endpoint.failures,
    };
  });
  return {
    status: verdict.failures.length === 0 ? 'ok' : 'failing',
    lag_bytes: worst(replicas.map((replica) => replica.lag_bytes)),
    lag_ms: worst(replicas.map((replica) => replica.lag_ms)),
    max_lag_ms: limits.maxLagMs,
    max_lag_bytes: limits.maxLagBytes ?? null,
    replicas,
    ...describeTopology(topology),
  };
}

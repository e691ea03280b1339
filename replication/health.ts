import type { DatabaseClients } from '../db/clients.js';
import { type Assessment, assessEndpoint, clusterFailures } from './assess.js';
import { byImportance, type Failure } from './failures.js';
import { describeTopology, endpointLagBytes, round } from './report.js';
import { standbyFailures, verifiedStandbys } from './standbys.js';
import { type EndpointView, type PrimaryView, readTopology } from './topology.js';

export interface HealthThresholds {
  maxLagMs: number;
  expectedStandbys: number;
  ignoredStandbys: readonly string[];
  /** Checked only when given, as Patroni's /replica?lag=. */
  maxLagBytes: number | undefined;
  maxSlotRetainedBytes: number;
}

// What a load balancer or uptime check needs to know, without writing: the
// standby and synchronous-standby counts belong to the replication check.
const NOT_HEALTH = new Set<Failure['type']>(['synchronous-standby-missing', 'standbys-missing']);

/**
 * Lag in time of one replica without writing. 0 when it has replayed all the
 * primary wrote. Otherwise the larger of the primary's measured replay lag
 * for this standby (pg_stat_replication goes stale when a standby stops
 * replying, so never alone) and the age of the newest heartbeat the replica
 * has not shown yet (the primary's own activity it has not replayed: a lower
 * bound that grows while replay is stuck). Null when neither is known.
 */
function lagMs(
  bytes: number | null,
  assessment: Assessment,
  view: EndpointView,
  primary: PrimaryView | undefined,
): number | null {
  if (bytes === null) return null;
  if (bytes === 0) return 0;
  const known: number[] = [];
  const measured = assessment.standby?.replay_lag_ms;
  if (measured !== null && measured !== undefined) known.push(measured);
  for (const [prober, sequence] of primary?.beats.sequences ?? []) {
    const shown = view.beats?.sequences.get(prober) ?? 0;
    const age = primary?.beats.ageMs.get(prober);
    if (shown < sequence && age !== undefined) known.push(age);
  }
  return known.length > 0 ? Math.max(...known) : null;
}

/**
 * Patroni-style health of the primary and of every replica endpoint, read
 * directly: in their roles, each replica streaming and replaying, its replay
 * position compared with the primary's, its lag within the thresholds.
 */
export async function replicationHealth(db: DatabaseClients, thresholds: HealthThresholds) {
  const topology = await readTopology(db);
  const failures = clusterFailures(topology, {
    expectedStandbys: 0,
    ignoredStandbys: thresholds.ignoredStandbys,
    maxSlotRetainedBytes: thresholds.maxSlotRetainedBytes,
  }).filter((failure) => !NOT_HEALTH.has(failure.type));
  const assessments = topology.endpoints.map((view) => assessEndpoint(view, topology.primary));
  const replicas = topology.endpoints.map((view, index) => {
    const assessment = assessments[index] ?? assessEndpoint(view, topology.primary);
    const bytes = endpointLagBytes(topology.primary, view);
    const lag =
      assessment.role === 'replica' ? lagMs(bytes, assessment, view, topology.primary) : null;
    const own = [...assessment.failures];
    if (lag !== null && lag > thresholds.maxLagMs) {
      own.push({
        type: 'replication-lag',
        detail: `${view.endpoint} is ${lag.toFixed(0)} ms behind (over ${thresholds.maxLagMs} ms)`,
      });
    }
    if (bytes !== null && thresholds.maxLagBytes !== undefined && bytes > thresholds.maxLagBytes) {
      own.push({
        type: 'replication-lag',
        detail: `${view.endpoint} is ${bytes} bytes behind (over ${thresholds.maxLagBytes} bytes)`,
      });
    }
    for (const failure of own) failures.push({ ...failure, endpoint: view.endpoint });
    return {
      endpoint: view.endpoint,
      ok: own.length === 0,
      role: assessment.role,
      application_name: assessment.standby?.application_name ?? null,
      lag_bytes: assessment.role === 'replica' ? bytes : null,
      lag_ms: round(lag),
      replay_lsn: view.facts?.replay_lsn ?? null,
      timeline: view.facts?.timeline ?? null,
      replay_paused: view.facts?.replay_paused ?? null,
      wal_receiver: view.walReceiver?.status ?? null,
      failures: own,
    };
  });
  if (topology.primary && !topology.primary.facts.in_recovery) {
    failures.push(
      ...standbyFailures(
        {
          standbys: topology.primary.standbys,
          verified: verifiedStandbys(
            topology.endpoints,
            assessments,
            replicas,
            topology.primary.standbys,
          ),
          endpoints: db.endpoints.length,
        },
        thresholds,
      ),
    );
  }
  failures.sort(byImportance);
  const worst = (values: (number | null)[]) => {
    const known = values.filter((value): value is number => value !== null);
    return known.length > 0 ? Math.max(...known) : null;
  };
  return {
    ok: failures.length === 0,
    failures,
    report: {
      status: failures.length === 0 ? 'ok' : 'failing',
      lag_bytes: worst(replicas.map((replica) => replica.lag_bytes)),
      lag_ms: worst(replicas.map((replica) => replica.lag_ms)),
      max_lag_ms: thresholds.maxLagMs,
      max_lag_bytes: thresholds.maxLagBytes ?? null,
      replicas,
      ...describeTopology(topology),
    },
  };
}

import type { DatabaseClients } from '../db/clients.js';
import { FAILURE_TYPES, type Failure, type FailureType } from './failures.js';
import { describeTopology, lagBytes, round } from './report.js';
import { readTopology } from './topology.js';

export interface HealthThresholds {
  maxLagMs: number;
  /** Checked only when given, as Patroni's /replica?lag=. */
  maxLagBytes: number | undefined;
}

// What a load balancer or uptime check needs to know, without writing: the
// standby and synchronous-standby counts belong to the replication check.
const NOT_HEALTH: FailureType[] = [
  'synchronous-standby-missing',
  'standbys-missing',
  'replication-lag',
];
const HEALTH_FAILURES = new Set(FAILURE_TYPES.filter((type) => !NOT_HEALTH.includes(type)));

/**
 * Patroni-style health of the pair: both hosts in their roles, the replica
 * streaming, replay lag within the thresholds. Lag in time is 0 when the
 * replica has replayed everything the primary wrote, otherwise the replay
 * lag the primary measures for its slowest streaming standby.
 */
export async function replicationHealth(
  db: DatabaseClients,
  expectedStandbys: number,
  thresholds: HealthThresholds,
) {
  const topology = await readTopology(db, expectedStandbys);
  const failures: Failure[] = topology.failures.filter((failure) =>
    HEALTH_FAILURES.has(failure.type),
  );
  const bytes = lagBytes(topology);
  const replica = topology.replica;
  // Time lag as the primary sees it (pg_stat_replication.replay_lag of the
  // slowest streaming standby), not the age of the replica's last replayed
  // commit, which on a quiet primary measures idleness, not lag.
  const replayLags = (topology.primary?.standbys ?? [])
    .filter((standby) => standby.state === 'streaming')
    .map((standby) => standby.replay_lag_ms ?? 0);
  const lagMs =
    bytes === null
      ? null
      : bytes === 0
        ? 0
        : replayLags.length > 0
          ? Math.max(...replayLags)
          : null;

  if (replica?.facts.in_recovery && replica.walReceiver?.status !== 'streaming') {
    failures.push({
      type: 'replica-unreachable',
      detail: `the replica is not streaming from the primary (WAL receiver: ${replica.walReceiver?.status ?? 'not running'})`,
    });
  }
  if (lagMs !== null && lagMs > thresholds.maxLagMs) {
    failures.push({
      type: 'replication-lag',
      detail: `replay lag ${lagMs.toFixed(0)} ms is over ${thresholds.maxLagMs} ms`,
    });
  }
  if (bytes !== null && thresholds.maxLagBytes !== undefined && bytes > thresholds.maxLagBytes) {
    failures.push({
      type: 'replication-lag',
      detail: `replay lag ${bytes} bytes is over ${thresholds.maxLagBytes} bytes`,
    });
  }
  return {
    ok: failures.length === 0,
    failures,
    report: {
      status: failures.length === 0 ? 'ok' : 'failing',
      lag_bytes: bytes,
      lag_ms: round(lagMs),
      max_lag_ms: thresholds.maxLagMs,
      max_lag_bytes: thresholds.maxLagBytes ?? null,
      ...describeTopology(topology),
    },
  };
}

import type { DatabaseClients } from '../db/clients.js';
import { assess } from './assess.js';
import { healthReport } from './report.js';
import type { Failure, HealthReport } from './reportSchema.js';
import { readTopology } from './topology.js';

export interface HealthThresholds {
  maxLagMs: number;
  expectedStandbys: number;
  ignoredStandbys: readonly string[];
  /** Checked only when given, as Patroni's /replica?lag=. */
  maxLagBytes: number | undefined;
  maxSlotRetainedBytes: number;
}

/**
 * Patroni-style health of the primary and of every replica endpoint, read
 * directly, without writing: in their roles, each replica streaming and
 * replaying, its replay position compared with the primary's, its lag within
 * the thresholds.
 */
export async function replicationHealth(
  db: DatabaseClients,
  thresholds: HealthThresholds,
): Promise<{ ok: boolean; failures: Failure[]; report: HealthReport }> {
  const topology = await readTopology(db);
  const verdict = assess('health', { topology, endpoints: db.endpoints.length }, thresholds);
  return {
    ok: verdict.failures.length === 0,
    failures: verdict.failures,
    report: healthReport(verdict, topology, thresholds),
  };
}

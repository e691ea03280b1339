import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseClients } from '../db/clients.js';
import { DatabaseUnavailableError } from '../db/errors.js';
import { beatQuery, seenQuery } from '../db/heartbeatQueries.js';
import { drizzleOnTransaction } from '../db/transactionDrizzle.js';
import { byImportance, type Failure } from './failures.js';
import { describeTopology, lagBytes, round } from './report.js';
import { readTopology } from './topology.js';

export interface CheckSettings {
  /** The deployment's service name: one heartbeat row per prober. */
  prober: string;
  maxLagMs: number;
  expectedStandbys: number;
  queryTimeoutMs: number;
}

const POLL_INTERVAL_MS = 1;

export interface Heartbeat {
  sequence: number;
  /** At or after the end of the heartbeat's commit record. */
  primaryLsn: string;
  /** The replica's replay position when it first showed the heartbeat. */
  replicaLsn: string | null;
  /** From the primary's commit acknowledgement to the replica showing the row. */
  lagMs: number | null;
}

async function beat(db: DatabaseClients, prober: string) {
  return db.primary.query(async ({ db: orm, queries }) => {
    const [row] = await beatQuery(orm).execute({ prober });
    const committedAt = performance.now();
    const [position] = await queries.walInsertLsn.execute();
    return { sequence: Number(row?.sequence), committedAt, primaryLsn: position?.lsn ?? '' };
  });
}

/** Polls one replica connection until the heartbeat shows, up to maxLagMs. */
async function awaitOnReplica(
  db: DatabaseClients,
  settings: CheckSettings,
  written: { sequence: number; committedAt: number },
): Promise<{ seenAt: number | undefined; replicaLsn: string | null }> {
  return db.replica.query(
    ({ sql }) =>
      // One read-only transaction keeps every poll on the same replica (a read
      // service may balance connections); each statement sees a new snapshot.
      sql.begin('read only', async (transaction) => {
        const seen = seenQuery(drizzleOnTransaction(sql, transaction));
        let replicaLsn: string | null = null;
        for (;;) {
          const [row] = await seen.execute({ prober: settings.prober });
          replicaLsn = row?.replayLsn ?? replicaLsn;
          if (row && row.sequence >= written.sequence)
            return { seenAt: performance.now(), replicaLsn };
          if (performance.now() - written.committedAt >= settings.maxLagMs)
            return { seenAt: undefined, replicaLsn };
          await sleep(POLL_INTERVAL_MS);
        }
      }),
    { timeoutMs: settings.maxLagMs + settings.queryTimeoutMs },
  );
}

export interface CheckResult {
  ok: boolean;
  failures: Failure[];
  report: Record<string, unknown>;
}

/**
 * Like check_postgres replicate_row, with hot_standby_delay's figures:
 * upserts this prober's heartbeat on the primary, then times how long the
 * replica takes to show it. The write is skipped when it would hang or
 * mislead (primary in recovery, synchronous standby missing).
 */
export async function runReplicationCheck(
  db: DatabaseClients,
  settings: CheckSettings,
): Promise<CheckResult> {
  const topology = await readTopology(db, settings.expectedStandbys);
  const failures = [...topology.failures];
  const blocksWrite = failures.some((f) =>
    ['primary-unreachable', 'primary-in-recovery', 'synchronous-standby-missing'].includes(f.type),
  );
  const blocksRead = failures.some((f) =>
    ['replica-unreachable', 'replica-not-standby', 'different-cluster'].includes(f.type),
  );

  let heartbeat: Heartbeat | undefined;
  if (!blocksWrite) {
    try {
      const written = await beat(db, settings.prober);
      heartbeat = {
        sequence: written.sequence,
        primaryLsn: written.primaryLsn,
        replicaLsn: null,
        lagMs: null,
      };
      if (!blocksRead) {
        const { seenAt, replicaLsn } = await awaitOnReplica(db, settings, written);
        heartbeat.replicaLsn = replicaLsn;
        if (seenAt === undefined) {
          const soFar = performance.now() - written.committedAt;
          failures.push({
            type: 'replication-lag',
            detail: `the replica had not shown the heartbeat after ${soFar.toFixed(0)} ms (threshold ${settings.maxLagMs} ms)`,
          });
        } else {
          heartbeat.lagMs = seenAt - written.committedAt;
        }
      }
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      failures.push({ type: `${error.role}-unreachable`, detail: error.message });
    }
  }
  failures.sort(byImportance);
  return {
    ok: failures.length === 0,
    failures,
    report: {
      status: failures.length === 0 ? 'ok' : 'failing',
      prober: settings.prober,
      lag_ms: round(heartbeat?.lagMs),
      threshold_ms: settings.maxLagMs,
      primary_lsn: heartbeat?.primaryLsn ?? null,
      replica_lsn: heartbeat?.replicaLsn ?? null,
      lag_bytes: lagBytes(topology),
      heartbeat_sequence: heartbeat?.sequence ?? null,
      expected_standbys: settings.expectedStandbys,
      ...describeTopology(topology),
    },
  };
}

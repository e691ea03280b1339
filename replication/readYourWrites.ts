import { setTimeout as sleep } from 'node:timers/promises';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { CountryHost } from '../db/clients.js';
import { replayTarget } from '../db/lsn.js';
import { drizzleOnTransaction } from '../db/transactionDrizzle.js';
import { HttpProblem } from '../http/problem.js';

const POLL_INTERVAL_MS = 5;

export interface ConsistentRead<T> {
  result: T;
  /** The replica's replay position when the read ran: at or after min_lsn. */
  replicaLsn: string;
  waitedMs: number;
}

const replicaBehind = (minLsn: string, replicaLsn: string | null, waitMs: number) =>
  new HttpProblem({
    status: 503,
    type: 'replica-behind',
    title: 'Service Unavailable',
    detail: `the replica had not replayed ${minLsn} after ${waitMs} ms`,
    headers: { 'Retry-After': '1' },
    extensions: { min_lsn: minLsn, replica_lsn: replicaLsn },
  });

/**
 * Waits until the replica has replayed `minLsn`, then reads. The LSN test and
 * the read run in one short read-only transaction, so on one connection (the
 * replica host may balance over several replicas), as two statements: one
 * statement's snapshot may predate its own LSN test, the next one's cannot.
 * No connection is held between polls.
 */
export async function readAtLeast<T>(
  replica: CountryHost,
  minLsn: string,
  waitMs: number,
  read: (db: PostgresJsDatabase) => Promise<T>,
): Promise<ConsistentRead<T>> {
  const started = performance.now();
  const target = replayTarget(minLsn);
  for (;;) {
    const attempt = await replica.query(
      (pool) =>
        pool.sql.begin('read only', async (transaction) => {
          const [position] = await transaction<{ lsn: string | null; reached: boolean }[]>`
            select pg_last_wal_replay_lsn()::text as lsn,
                   coalesce(pg_last_wal_replay_lsn() >= ${target}::pg_lsn, false) as reached`;
          if (!position?.reached) return { reached: false as const, lsn: position?.lsn ?? null };
          const result = await read(drizzleOnTransaction(pool.sql, transaction));
          return { reached: true as const, lsn: position.lsn ?? minLsn, result };
        }),
      { idempotent: true },
    );
    const waitedMs = performance.now() - started;
    if (attempt.reached) return { result: attempt.result, replicaLsn: attempt.lsn, waitedMs };
    if (waitedMs >= waitMs) throw replicaBehind(minLsn, attempt.lsn, waitMs);
    await sleep(Math.min(POLL_INTERVAL_MS, waitMs - waitedMs));
  }
}

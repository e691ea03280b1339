import { setTimeout as sleep } from 'node:timers/promises';
import type { ReplicaHost, ReplicaQueries } from '../db/clients.js';
import { replayTarget } from '../db/lsn.js';
import { readOnly } from '../db/transaction.js';

const POLL_INTERVAL_MS = 5;

type ConsistentRead<T> =
  /** Read once the replica had replayed min_lsn; replicaLsn is at or after it. */
  | { reached: true; result: T; replicaLsn: string }
  /** The replica had not replayed min_lsn within the wait. */
  | { reached: false; replicaLsn: string | null };

/**
 * Waits until the replica has replayed `minLsn`, then reads. The LSN test and
 * the read run in one short read-only transaction, so on one connection (the
 * replica host may balance over several replicas), as two statements: one
 * statement's snapshot may predate its own LSN test, the next one's cannot.
 * No connection is held between polls.
 */
export async function readAtLeast<T>(
  replica: ReplicaHost,
  minLsn: string,
  waitMs: number,
  read: (queries: ReplicaQueries) => Promise<T>,
): Promise<ConsistentRead<T>> {
  const started = performance.now();
  const target = replayTarget(minLsn);
  for (;;) {
    const attempt = await replica.query(
      (pool) =>
        readOnly(pool, async (queries) => {
          const [position] = await queries.replayed.execute({ target });
          if (!position?.reached)
            return { reached: false as const, replicaLsn: position?.lsn ?? null };
          const result = await read(queries);
          return { reached: true as const, result, replicaLsn: position.lsn ?? minLsn };
        }),
      { idempotent: true },
    );
    const waited = performance.now() - started;
    if (attempt.reached || waited >= waitMs) return attempt;
    await sleep(Math.min(POLL_INTERVAL_MS, waitMs - waited));
  }
}

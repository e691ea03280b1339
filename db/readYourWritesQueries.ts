import { sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { rawStatement } from './statements.js';

/** On the primary: a position at or after the end of the commit that just returned. */
export const walInsertLsnQuery = (db: PostgresJsDatabase) =>
  // Read after COMMIT returned: the insert position only moves forward, so on
  // any connection it is at or after the end of that commit record.
  rawStatement<{ lsn: string }>(
    db,
    'wal_insert_lsn',
    sql`select pg_current_wal_insert_lsn()::text as lsn`,
  );

/**
 * On a replica: its replay position, and whether it has replayed `target`
 * (a pg_lsn as text). Sent first in the transaction that then reads: one
 * statement's snapshot may predate its own test, the next one's cannot.
 */
export const replayedQuery = (db: PostgresJsDatabase) =>
  rawStatement<{ lsn: string | null; reached: boolean }>(
    db,
    'replayed',
    sql`select pg_last_wal_replay_lsn()::text as lsn,
               coalesce(pg_last_wal_replay_lsn() >= ${sql.placeholder('target')}::pg_lsn, false) as reached`,
  );

import { eq, sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { replicationHeartbeat } from './schema.js';

/** On the primary: bumps this prober's row and returns its new sequence. */
export const beatQuery = (db: PostgresJsDatabase) =>
  db
    .insert(replicationHeartbeat)
    .values({ prober: sql.placeholder('prober'), sequence: 1, beatAt: sql`now()` })
    .onConflictDoUpdate({
      target: replicationHeartbeat.prober,
      set: { sequence: sql`${replicationHeartbeat.sequence} + 1`, beatAt: sql`now()` },
    })
    .returning({ sequence: replicationHeartbeat.sequence })
    .prepare('heartbeat_beat');

/** On the replica: the prober's sequence as this snapshot sees it, and the replay position. */
export const seenQuery = (db: PostgresJsDatabase) =>
  db
    .select({
      sequence: replicationHeartbeat.sequence,
      replayLsn: sql<string | null>`pg_last_wal_replay_lsn()::text`,
    })
    .from(replicationHeartbeat)
    .where(eq(replicationHeartbeat.prober, sql.placeholder('prober')))
    .prepare('heartbeat_seen');

import { eq, sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { country } from './schema.js';

// A country as the API prints it: a row of the table, in the table's column order.
const columns = {
  name: country.name,
  two_letter: country.two_letter,
  country_id: country.country_id,
};

// On a standby: the WAL position the answer is at least as new as.
const replayLsn = sql<string | null>`pg_last_wal_replay_lsn()::text`.as('replay_lsn');

/** On the primary: reads and writes of the country table. */
export function primaryCountryQueries(db: PostgresJsDatabase) {
  return {
    list: db
      .select(columns)
      .from(country)
      .orderBy(country.two_letter)
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare('country_list'),
    byCode: db
      .select(columns)
      .from(country)
      .where(eq(country.two_letter, sql.placeholder('code')))
      .prepare('country_by_code'),
    insert: db
      .insert(country)
      .values({
        two_letter: sql.placeholder('two_letter'),
        name: sql.placeholder('name'),
        country_id: sql.placeholder('country_id'),
      })
      .returning(columns)
      .prepare('country_insert'),
    deleteByCode: db
      .delete(country)
      .where(eq(country.two_letter, sql.placeholder('code')))
      .returning({ two_letter: country.two_letter })
      .prepare('country_delete'),
  };
}

/** On the replica: the same reads, each row with the replay position it was read at. */
export function replicaCountryQueries(db: PostgresJsDatabase) {
  return {
    replicaList: db
      .select({ ...columns, replay_lsn: replayLsn })
      .from(country)
      .orderBy(country.two_letter)
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare('country_replica_list'),
    replicaByCode: db
      .select({ ...columns, replay_lsn: replayLsn })
      .from(country)
      .where(eq(country.two_letter, sql.placeholder('code')))
      .prepare('country_replica_by_code'),
  };
}

import { eq, sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { country } from './schema.js';

/** A country as the API prints it: a row of the table, in the table's column order. */
export type CountryRow = typeof country.$inferSelect;

const columns = {
  name: country.name,
  two_letter: country.two_letter,
  country_id: country.country_id,
};

// On a standby: the WAL position the answer is at least as new as.
const replayLsn = sql<string | null>`pg_last_wal_replay_lsn()::text`.as('replay_lsn');

export const listQuery = (db: PostgresJsDatabase) =>
  db
    .select(columns)
    .from(country)
    .orderBy(country.two_letter)
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset'))
    .prepare('country_list');

export const byCodeQuery = (db: PostgresJsDatabase) =>
  db
    .select(columns)
    .from(country)
    .where(eq(country.two_letter, sql.placeholder('code')))
    .prepare('country_by_code');

/** The same reads on a replica, each row with the replay position it was read at. */
export const replicaListQuery = (db: PostgresJsDatabase) =>
  db
    .select({ ...columns, replay_lsn: replayLsn })
    .from(country)
    .orderBy(country.two_letter)
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset'))
    .prepare('country_replica_list');

export const replicaByCodeQuery = (db: PostgresJsDatabase) =>
  db
    .select({ ...columns, replay_lsn: replayLsn })
    .from(country)
    .where(eq(country.two_letter, sql.placeholder('code')))
    .prepare('country_replica_by_code');

// Prepared once per pool: a Drizzle query built per request costs about half
// the throughput of a prepared one on this stack (see DESIGN.md).
export function prepareCountryQueries(db: PostgresJsDatabase) {
  return {
    list: listQuery(db),
    byCode: byCodeQuery(db),
    replicaList: replicaListQuery(db),
    replicaByCode: replicaByCodeQuery(db),
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
    // Read after COMMIT returned: the insert position only moves forward, so on
    // any connection it is at or after the end of that commit record.
    walInsertLsn: db
      .select({ lsn: sql<string>`pg_current_wal_insert_lsn()::text` })
      .from(sql`(select 1) as one`)
      .prepare('wal_insert_lsn'),
  };
}

export type CountryQueries = ReturnType<typeof prepareCountryQueries>;

import { eq, sql } from 'drizzle-orm';
import type { PgSelect } from 'drizzle-orm/pg-core';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { country } from './schema.js';

// A country as the API prints it: a row of the table, in the table's column order.
const columns = {
  name: country.name,
  two_letter: country.two_letter,
  country_id: country.country_id,
};

// On a standby, each row with the WAL position the answer is at least as new as.
const withReplayLsn = {
  ...columns,
  replay_lsn: sql<string | null>`pg_last_wal_replay_lsn()::text`.as('replay_lsn'),
};

// The list and the read by code, over any selection of the country table:
// the primary's and the replica's differ by a column.
const inPages = <Query extends PgSelect>(query: Query) =>
  query
    .orderBy(country.two_letter)
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset'));
const byTwoLetter = <Query extends PgSelect>(query: Query) =>
  query.where(eq(country.two_letter, sql.placeholder('code')));

/** On the primary: reads and writes of the country table. */
export function primaryCountryQueries(db: PostgresJsDatabase) {
  return {
    list: inPages(db.select(columns).from(country).$dynamic()).prepare('country_list'),
    byCode: byTwoLetter(db.select(columns).from(country).$dynamic()).prepare('country_by_code'),
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
    replicaList: inPages(db.select(withReplayLsn).from(country).$dynamic()).prepare(
      'country_replica_list',
    ),
    replicaByCode: byTwoLetter(db.select(withReplayLsn).from(country).$dynamic()).prepare(
      'country_replica_by_code',
    ),
  };
}

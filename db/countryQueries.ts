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

/**
 * One statement: the insert, or for a duplicate no insert at all (no error,
 * no aborted transaction, so no transaction id spent, no dead row, no WAL for
 * the standbys to replay, no ERROR line in the server's log), and whether the
 * two_letter and the country_id were already taken. Those two are read in the
 * statement's snapshot: a duplicate committed after it began is taken without
 * being seen, and neither flag is set.
 */
function insertOrTaken(db: PostgresJsDatabase) {
  const inserted = db.$with('inserted').as(
    db
      .insert(country)
      .values({
        two_letter: sql.placeholder('two_letter'),
        name: sql.placeholder('name'),
        country_id: sql.placeholder('country_id'),
      })
      .onConflictDoNothing()
      .returning(columns),
  );
  const taken = (column: typeof country.two_letter | typeof country.country_id) =>
    sql<boolean>`exists (${db
      .select({ one: sql`1` })
      .from(country)
      .where(eq(column, sql.placeholder(column.name)))})`;
  return db
    .with(inserted)
    .select({
      inserted: {
        name: inserted.name,
        two_letter: inserted.two_letter,
        country_id: inserted.country_id,
      },
      two_letter_taken: taken(country.two_letter),
      country_id_taken: taken(country.country_id),
    })
    .from(sql`(values (1)) as one`)
    .leftJoin(inserted, sql`true`);
}

/** On the primary: reads and writes of the country table. */
export function primaryCountryQueries(db: PostgresJsDatabase) {
  return {
    list: inPages(db.select(columns).from(country).$dynamic()).prepare('country_list'),
    byCode: byTwoLetter(db.select(columns).from(country).$dynamic()).prepare('country_by_code'),
    insert: insertOrTaken(db).prepare('country_insert'),
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

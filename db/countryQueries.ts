import { eq, sql } from 'drizzle-orm';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { country } from './schema.js';

/** The API's shape of a row, in the order the API prints it. */
export const countryColumns = {
  name: country.name,
  two_letter: country.twoLetter,
  country_id: country.countryId,
};

export type CountryRow = {
  name: string;
  two_letter: string;
  country_id: number;
};

// On a standby: the WAL position the answer is at least as new as (NULL on a primary).
const replayLsn = sql<string | null>`pg_last_wal_replay_lsn()::text`.as('replay_lsn');

export const listQuery = (db: PostgresJsDatabase) =>
  db
    .select({ ...countryColumns, replay_lsn: replayLsn })
    .from(country)
    .orderBy(country.twoLetter)
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset'))
    .prepare('country_list');

export const byCodeQuery = (db: PostgresJsDatabase) =>
  db
    .select({ ...countryColumns, replay_lsn: replayLsn })
    .from(country)
    .where(eq(country.twoLetter, sql.placeholder('code')))
    .prepare('country_by_code');

// Prepared once per pool: a Drizzle query built per request costs about half
// the throughput of a prepared one on this stack (see DESIGN.md).
export function prepareCountryQueries(db: PostgresJsDatabase) {
  return {
    list: listQuery(db),
    byCode: byCodeQuery(db),
    insert: db
      .insert(country)
      .values({
        twoLetter: sql.placeholder('two_letter'),
        name: sql.placeholder('name'),
        countryId: sql.placeholder('country_id'),
      })
      .returning(countryColumns)
      .prepare('country_insert'),
    deleteByCode: db
      .delete(country)
      .where(eq(country.twoLetter, sql.placeholder('code')))
      .returning({ two_letter: country.twoLetter })
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

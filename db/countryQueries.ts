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

// Prepared once per pool: a Drizzle query built per request costs about half
// the throughput of a prepared one on this stack (see DESIGN.md).
export function prepareCountryQueries(db: PostgresJsDatabase) {
  return {
    list: db
      .select(countryColumns)
      .from(country)
      .orderBy(country.twoLetter)
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare('country_list'),
    byCode: db
      .select(countryColumns)
      .from(country)
      .where(eq(country.twoLetter, sql.placeholder('code')))
      .prepare('country_by_code'),
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
  };
}

export type CountryQueries = ReturnType<typeof prepareCountryQueries>;

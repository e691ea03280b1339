import * as v from 'valibot';
import type { PrimaryHost, PrimaryQueries } from '../db/clients.js';
import { conflict, notFound } from '../http/problems.js';
import { operation, type Route } from '../http/route.js';
import * as answer from './answers.js';
import { codeParams, countryInput, countryOutput, pageQuery } from './schemas.js';

/** What an operation on one country of the primary answers: its success, or these. */
const oneCountry = <Success extends object>(success: Success) => ({
  ...success,
  400: answer.badRequest,
  401: answer.unauthorized,
  404: answer.notFound,
  503: answer.unavailable,
});

type CountryInput = v.InferOutput<typeof countryInput>;

// A duplicate committed after the insert's snapshot was taken is refused
// without being seen; the insert is then tried again, this often at most.
const INSERT_ATTEMPTS = 3;

/** Inserts the country, or refuses it naming the unique field another one already holds. */
async function insertCountry(queries: PrimaryQueries, body: CountryInput) {
  for (let attempt = 1; ; attempt++) {
    const [outcome] = await queries.insert.execute(body);
    if (outcome?.inserted) return outcome.inserted;
    if (outcome?.two_letter_taken) throw conflict('country', 'two_letter');
    if (outcome?.country_id_taken) throw conflict('country', 'country_id');
    if (attempt === INSERT_ATTEMPTS) throw conflict('country', 'body');
  }
}

const primaryLsn = { 'X-Primary-LSN': 'At or after the end of the commit record; pass as min_lsn' };

/** /country and /country/{two_letter}: reads and writes on the primary. */
export function countryRoutes(primary: PrimaryHost): Route[] {
  // A write, and the end of WAL after its commit: X-Primary-LSN, which a
  // read on a replica passes as min_lsn to see the write.
  const writeWithLsn = <T>(write: (queries: PrimaryQueries) => Promise<T>) =>
    primary.query(async ({ queries }) => {
      const written = await write(queries);
      const [position] = await queries.walInsertLsn.execute();
      return { written, lsn: position?.lsn ?? '' };
    });

  return [
    {
      path: '/country',
      auth: true,
      operations: {
        GET: operation({
          summary: 'List countries from the primary, ordered by two_letter',
          query: pageQuery,
          answers: {
            200: { description: 'Countries ordered by two_letter', schema: v.array(countryOutput) },
            400: answer.badRequest,
            401: answer.unauthorized,
            503: answer.unavailable,
          },
          async handle({ query: { limit = 1000, offset = 0 } }) {
            const rows = await primary.query(
              (pool) => pool.queries.list.execute({ limit, offset }),
              {
                idempotent: true,
              },
            );
            return { status: 200, body: rows };
          },
        }),
        POST: operation({
          summary: 'Create a country on the primary',
          body: countryInput,
          answers: {
            201: {
              description: 'Created',
              schema: countryOutput,
              headers: { Location: 'The new country', ...primaryLsn },
            },
            400: answer.badRequest,
            401: answer.unauthorized,
            409: { description: 'two_letter or country_id already exists', problem: true },
            413: { description: 'Body over 16 KiB', problem: true },
            415: { description: 'Not UTF-8 application/json', problem: true },
            503: answer.unavailable,
          },
          async handle({ body }) {
            const { written, lsn } = await writeWithLsn((queries) => insertCountry(queries, body));
            return {
              status: 201,
              body: written,
              headers: { Location: `/country/${body.two_letter}`, 'X-Primary-LSN': lsn },
            };
          },
        }),
      },
    },
    {
      path: '/country/{two_letter}',
      auth: true,
      operations: {
        GET: operation({
          summary: 'Read one country from the primary',
          params: codeParams,
          answers: oneCountry({ 200: { description: 'The country', schema: countryOutput } }),
          async handle({ params: { two_letter: code } }) {
            const [row] = await primary.query((pool) => pool.queries.byCode.execute({ code }), {
              idempotent: true,
            });
            if (!row) throw notFound(`no country with two_letter ${code} on the primary`);
            return { status: 200, body: row };
          },
        }),
        DELETE: operation({
          summary: 'Delete a country on the primary',
          params: codeParams,
          answers: oneCountry({ 204: { description: 'Deleted', headers: primaryLsn } }),
          async handle({ params: { two_letter: code } }) {
            const { written, lsn } = await writeWithLsn((queries) =>
              queries.deleteByCode.execute({ code }),
            );
            if (written.length === 0) throw notFound(`no country with two_letter ${code}`);
            return { status: 204, headers: { 'X-Primary-LSN': lsn } };
          },
        }),
      },
    },
  ];
}

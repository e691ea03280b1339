import * as v from 'valibot';
import type { PrimaryHost } from '../db/clients.js';
import { notFound } from '../http/problems.js';
import { operation, type Route } from '../http/route.js';
import * as answer from './answers.js';
import { codeParams, countryInput, countryOutput, pageQuery } from './schemas.js';

/** What an operation on one country of the primary may answer besides its success. */
const oneCountry = {
  400: answer.badRequest,
  401: answer.unauthorized,
  404: answer.notFound,
  503: answer.unavailable,
};

const primaryLsn = { 'X-Primary-LSN': 'At or after the end of the commit record; pass as min_lsn' };

/** /country and /country/{two_letter}: reads and writes on the primary. */
export function countryRoutes(primary: PrimaryHost): Route[] {
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
            const { created, lsn } = await primary.query(async (pool) => {
              const [row] = await pool.queries.insert.execute(body);
              const [position] = await pool.queries.walInsertLsn.execute();
              return { created: row, lsn: position?.lsn ?? '' };
            });
            return {
              status: 201,
              body: created,
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
          answers: {
            200: { description: 'The country', schema: countryOutput },
            ...oneCountry,
          },
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
          answers: {
            204: { description: 'Deleted', headers: primaryLsn },
            ...oneCountry,
          },
          async handle({ params: { two_letter: code } }) {
            const { deleted, lsn } = await primary.query(async (pool) => {
              const rows = await pool.queries.deleteByCode.execute({ code });
              const [position] = await pool.queries.walInsertLsn.execute();
              return { deleted: rows.length, lsn: position?.lsn ?? '' };
            });
            if (deleted === 0) throw notFound(`no country with two_letter ${code}`);
            return { status: 204, headers: { 'X-Primary-LSN': lsn } };
          },
        }),
      },
    },
  ];
}

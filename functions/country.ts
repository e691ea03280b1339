import type { CountryHost } from '../db/clients.js';
import { parseJsonBody } from '../http/body.js';
import { parseCodeParameter, parseCountryInput } from '../http/countryInput.js';
import { notFound } from '../http/problems.js';
import { noQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { primaryReads } from './countryReads.js';

/** /country and /country/{two_letter}: reads and writes on the primary. */
export function countryRoutes(primary: CountryHost): Route[] {
  const reads = primaryReads(primary);
  return [
    {
      pattern: /^\/country$/,
      auth: true,
      methods: {
        GET: reads.list,
        POST: async ({ req, query }) => {
          noQuery(query);
          const input = parseCountryInput(parseJsonBody(req));
          const { created, lsn } = await primary.query(async (pool) => {
            const [row] = await pool.queries.insert.execute(input);
            const [position] = await pool.queries.walInsertLsn.execute();
            return { created: row, lsn: position?.lsn ?? '' };
          });
          return {
            status: 201,
            body: created,
            headers: { Location: `/country/${input.two_letter}`, 'X-Primary-LSN': lsn },
          };
        },
      },
    },
    {
      pattern: /^\/country\/([^/]+)$/,
      auth: true,
      methods: {
        GET: reads.one,
        DELETE: async ({ params, query }) => {
          const code = parseCodeParameter(params[0] ?? '');
          noQuery(query);
          const { deleted, lsn } = await primary.query(async (pool) => {
            const rows = await pool.queries.deleteByCode.execute({ code });
            const [position] = await pool.queries.walInsertLsn.execute();
            return { deleted: rows.length, lsn: position?.lsn ?? '' };
          });
          if (deleted === 0) throw notFound(`no country with two_letter ${code}`);
          return { status: 204, headers: { 'X-Primary-LSN': lsn } };
        },
      },
    },
  ];
}

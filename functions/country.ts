import type { CountryHost } from '../db/clients.js';
import { parseJsonBody } from '../http/body.js';
import { parseCodeParameter, parseCountryInput } from '../http/countryInput.js';
import { notFound } from '../http/problems.js';
import { parseIntegerQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { countryReads } from './countryReads.js';

/** /country and /country/{two_letter}: reads and writes on the primary. */
export function countryRoutes(primary: CountryHost): Route[] {
  const reads = countryReads(primary);
  return [
    {
      pattern: /^\/country$/,
      auth: true,
      methods: {
        GET: reads.list,
        POST: async ({ req, query }) => {
          parseIntegerQuery(query, {});
          const input = parseCountryInput(parseJsonBody(req));
          const [created] = await primary.query((pool) => pool.queries.insert.execute(input));
          return {
            status: 201,
            body: created,
            headers: { Location: `/country/${input.two_letter}` },
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
          parseIntegerQuery(query, {});
          const deleted = await primary.query((pool) =>
            pool.queries.deleteByCode.execute({ code }),
          );
          if (deleted.length === 0) throw notFound(`no country with two_letter ${code}`);
          return { status: 204 };
        },
      },
    },
  ];
}

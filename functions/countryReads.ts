import type { CountryHost } from '../db/clients.js';
import { parseCodeParameter } from '../http/countryInput.js';
import { notFound } from '../http/problems.js';
import { parseIntegerQuery } from '../http/query.js';
import type { Action } from '../http/router.js';

// country_id is unique within 1–999, so 1000 rows is always the whole table.
const PAGE = {
  limit: { min: 1, max: 1000, default: 1000 },
  offset: { min: 0, max: 999, default: 0 },
};

/** GET of the list and of one country, on whichever host is given. */
export function countryReads(host: CountryHost): { list: Action; one: Action } {
  return {
    list: async ({ query }) => {
      const page = parseIntegerQuery(query, PAGE);
      const rows = await host.query((pool) => pool.queries.list.execute(page), {
        idempotent: true,
      });
      return { status: 200, body: rows };
    },
    one: async ({ params, query }) => {
      const code = parseCodeParameter(params[0] ?? '');
      parseIntegerQuery(query, {});
      const rows = await host.query((pool) => pool.queries.byCode.execute({ code }), {
        idempotent: true,
      });
      if (!rows[0]) throw notFound(`no country with two_letter ${code} on the ${host.role}`);
      return { status: 200, body: rows[0] };
    },
  };
}

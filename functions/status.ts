import * as v from 'valibot';
import { operation, type Route } from '../http/route.js';

/** Liveness only: no database access and no auth, so it says the process serves. */
export const statusRoutes: Route[] = [
  {
    path: '/status',
    auth: false,
    operations: {
      GET: operation({
        summary: 'Liveness; no database access, no auth',
        // Probes and uptime checks may add what they like.
        query: v.object({}),
        answers: {
          200: {
            description: 'The process serves',
            schema: v.object({ status: v.literal('ok') }),
          },
        },
        handle: () => ({ status: 200, body: { status: 'ok' } }),
      }),
    },
  },
];

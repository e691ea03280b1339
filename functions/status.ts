import { z } from 'zod';
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
        query: z.object({}),
        answers: {
          200: {
            description: 'The process serves',
            schema: z.object({ status: z.literal('ok') }),
          },
        },
        handle: () => ({ status: 200, body: { status: 'ok' } }),
      }),
    },
  },
];

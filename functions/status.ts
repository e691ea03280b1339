import type { Route } from '../http/router.js';

/** Liveness only: no database access and no auth, so it says the process serves. */
export const statusRoutes: Route[] = [
  {
    pattern: /^\/status$/,
    auth: false,
    methods: { GET: () => ({ status: 200, body: { status: 'ok' } }) },
  },
];

import type { Route } from '../http/router.js';
import { openapiDocument } from './openapiDocument.js';

export const openapiRoutes: Route[] = [
  {
    pattern: /^\/openapi\.json$/,
    auth: false,
    methods: { GET: () => ({ status: 200, body: openapiDocument }) },
  },
];

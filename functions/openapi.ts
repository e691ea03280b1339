import { operation, type Route } from '../http/route.js';
import { openapiDocument } from './openapiDocument.js';

/** GET /openapi.json: the document of `routes` (the api target's, itself included). */
export function openapiRoutes(routes: () => Route[]): Route[] {
  let document: unknown;
  return [
    {
      path: '/openapi.json',
      auth: false,
      operations: {
        GET: operation({
          summary: 'This document',
          answers: { 200: { description: 'OpenAPI 3.1 document' } },
          handle: () => {
            document ??= openapiDocument(routes());
            return { status: 200, body: document };
          },
        }),
      },
    },
  ];
}

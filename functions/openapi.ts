import { operation, type Route } from '../http/route.js';

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
          // Written on first request: the JSON Schema converter is not loaded at start-up.
          async handle() {
            if (!document) {
              const { openapiDocument } = await import('./openapiDocument.js');
              document = openapiDocument(routes());
            }
            return { status: 200, body: document };
          },
        }),
      },
    },
  ];
}

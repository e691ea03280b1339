// OpenAPI 3.1 description of every public route. Kept beside the routes and
// checked against them by test/openapi.test.ts.

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const responses = {
  badRequest: problem('Malformed input; `errors` lists the fields'),
  unauthorized: problem('Missing or wrong Basic credentials (with WWW-Authenticate)'),
  notFound: problem('No such country'),
  unavailable: problem('The database host is down, frozen or refusing; retry after Retry-After'),
};

const twoLetterParameter = {
  name: 'two_letter',
  in: 'path',
  required: true,
  description: 'ISO 3166-1 alpha-2 code, any case',
  schema: { type: 'string', pattern: '^[A-Za-z]{2}$' },
};

const pageParameters = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 999 } },
];

const countryList = {
  description: 'Countries ordered by two_letter',
  content: {
    'application/json': {
      schema: { type: 'array', items: { $ref: '#/components/schemas/Country' } },
    },
  },
};
const oneCountry = {
  description: 'The country',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Country' } } },
};

function reads(host: 'primary' | 'replica') {
  const security = [{ basicAuth: [] }];
  return {
    list: {
      get: {
        summary: `List countries from the ${host}`,
        security,
        parameters: pageParameters,
        responses: {
          200: countryList,
          400: responses.badRequest,
          401: responses.unauthorized,
          503: responses.unavailable,
        },
      },
    },
    one: {
      get: {
        summary: `Read one country from the ${host}`,
        security,
        parameters: [twoLetterParameter],
        responses: {
          200: oneCountry,
          400: responses.badRequest,
          401: responses.unauthorized,
          404: responses.notFound,
          503: responses.unavailable,
        },
      },
    },
  };
}

const primaryReads = reads('primary');
const replicaReads = reads('replica');

export const openapiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'pg-replica-functions',
    version: '0.1.0',
    description:
      'Writes countries on a PostgreSQL primary, reads them back from its streaming replica. ' +
      'Errors are RFC 9457 problem documents.',
  },
  paths: {
    '/status': {
      get: {
        summary: 'Liveness; no database access, no auth',
        security: [],
        responses: {
          200: {
            description: 'The process serves',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { status: { const: 'ok' } } },
              },
            },
          },
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        security: [],
        responses: { 200: { description: 'OpenAPI 3.1 document' } },
      },
    },
    '/country': {
      get: primaryReads.list.get,
      post: {
        summary: 'Create a country on the primary',
        security: [{ basicAuth: [] }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Country' } } },
        },
        responses: {
          201: {
            ...oneCountry,
            description: 'Created',
            headers: { Location: { schema: { type: 'string' } } },
          },
          400: responses.badRequest,
          401: responses.unauthorized,
          409: problem('two_letter or country_id already exists'),
          413: problem('Body over 16 KiB'),
          415: problem('Not UTF-8 application/json'),
          503: responses.unavailable,
        },
      },
    },
    '/country/{two_letter}': {
      get: primaryReads.one.get,
      delete: {
        summary: 'Delete a country on the primary',
        security: [{ basicAuth: [] }],
        parameters: [twoLetterParameter],
        responses: {
          204: { description: 'Deleted' },
          400: responses.badRequest,
          401: responses.unauthorized,
          404: responses.notFound,
          503: responses.unavailable,
        },
      },
    },
    '/country_replica': { get: replicaReads.list.get },
    '/country_replica/{two_letter}': { get: replicaReads.one.get },
  },
  components: {
    securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } },
    schemas: {
      Country: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'two_letter', 'country_id'],
        properties: {
          name: {
            type: 'string',
            minLength: 1,
            maxLength: 100,
            description: 'Trimmed; no control characters',
          },
          two_letter: {
            type: 'string',
            pattern: '^[A-Za-z]{2}$',
            description: 'Stored upper-case',
          },
          country_id: {
            type: 'integer',
            minimum: 1,
            maximum: 999,
            description: 'ISO 3166-1 numeric',
          },
        },
      },
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string', format: 'uri' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              properties: { field: { type: 'string' }, detail: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

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

const consistencyParameters = [
  {
    name: 'min_lsn',
    in: 'query',
    description:
      'Wait until the replica has replayed this WAL position (an X-Primary-LSN), then read',
    schema: { type: 'string', pattern: '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$' },
  },
  {
    name: 'wait_ms',
    in: 'query',
    description: 'How long to wait for min_lsn (default 2000)',
    schema: { type: 'integer', minimum: 0, maximum: 10000 },
  },
];

const lsnHeader = (description: string) => ({ description, schema: { type: 'string' } });

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
  const replica = host === 'replica';
  const extra = replica ? consistencyParameters : [];
  const headers = replica
    ? { headers: { 'X-Replica-LSN': lsnHeader('The replay position the answer reflects') } }
    : {};
  return {
    list: {
      get: {
        summary: `List countries from the ${host}`,
        security,
        parameters: [...pageParameters, ...extra],
        responses: {
          200: { ...countryList, ...headers },
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
        parameters: [twoLetterParameter, ...extra],
        responses: {
          200: { ...oneCountry, ...headers },
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
            headers: {
              Location: { schema: { type: 'string' } },
              'X-Primary-LSN': lsnHeader(
                'At or after the end of the commit record; pass as min_lsn',
              ),
            },
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
          204: {
            description: 'Deleted',
            headers: { 'X-Primary-LSN': lsnHeader('At or after the end of the commit record') },
          },
          400: responses.badRequest,
          401: responses.unauthorized,
          404: responses.notFound,
          503: responses.unavailable,
        },
      },
    },
    '/country_replica': { get: replicaReads.list.get },
    '/country_replica/{two_letter}': { get: replicaReads.one.get },
    '/replication_check': {
      post: {
        summary:
          'Write a heartbeat on the primary every interval and time its arrival on every replica',
        description:
          'Basic auth under the api target; none when deployed alone (Cloud Run IAM, Cloud Scheduler OIDC). ' +
          'Every replica of POSTGRES_REPLICA_ENDPOINTS is polled on its own. A 503 is named after the most ' +
          'fundamental failure: primary-unreachable, replica-unreachable, primary-in-recovery, ' +
          'replica-not-standby, different-cluster, timeline-mismatch, replica-not-receiving, ' +
          'replica-not-replaying, synchronous-standby-missing, standbys-missing, slot-lost, slot-retention, ' +
          'replication-lag; `failures` lists all, those about one replica with its `endpoint`.',
        security: [{ basicAuth: [] }],
        parameters: [
          {
            name: 'samples',
            in: 'query',
            description: 'Heartbeats in the window (default 1); samples × interval_ms ≤ 900000',
            schema: { type: 'integer', minimum: 1, maximum: 600 },
          },
          {
            name: 'interval_ms',
            in: 'query',
            description: 'Time between heartbeats (default 1000)',
            schema: { type: 'integer', minimum: 100, maximum: 60000 },
          },
        ],
        responses: {
          200: {
            description:
              'Measured lag (lag_ms: the worst replica’s last), each replica’s figures, events, both hosts',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/ReplicationReport' } },
            },
          },
          400: problem('A query parameter out of range or unknown; `errors` names it'),
          401: responses.unauthorized,
          503: problem('The named replication failure, with the figures read so far'),
        },
      },
    },
    '/status/replication': {
      get: {
        summary:
          'Roles and lag of the primary and every replica endpoint, without writing (Patroni-style)',
        security: [{ basicAuth: [] }],
        parameters: [
          {
            name: 'max_lag_ms',
            in: 'query',
            schema: { type: 'integer', minimum: 0, maximum: 3600000 },
          },
          { name: 'max_lag_bytes', in: 'query', schema: { type: 'integer', minimum: 0 } },
        ],
        responses: {
          200: {
            description: 'Healthy',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/ReplicationReport' } },
            },
          },
          400: responses.badRequest,
          401: responses.unauthorized,
          503: problem('Unhealthy; `failures` lists the reasons'),
        },
      },
    },
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
      ReplicationReport: {
        type: 'object',
        properties: {
          status: { enum: ['ok', 'failing'] },
          lag_ms: { type: ['number', 'null'] },
          lag_bytes: { type: ['number', 'null'] },
          primary_lsn: { type: ['string', 'null'] },
          replica_lsn: { type: ['string', 'null'] },
          primary: { type: ['object', 'null'] },
          replica: { type: ['object', 'null'] },
          replicas: { type: 'array', items: { $ref: '#/components/schemas/ReplicaReport' } },
          events: {
            type: 'array',
            items: {
              type: 'object',
              properties: { type: { const: 'failover' }, detail: { type: 'string' } },
            },
          },
          standbys: { type: 'array', items: { type: 'object' } },
          replication_slots: { type: 'array', items: { type: 'object' } },
          synchronous_standby: {
            type: 'object',
            properties: { expected: { type: 'boolean' }, present: { type: 'boolean' } },
          },
        },
      },
      ReplicaReport: {
        type: 'object',
        properties: {
          endpoint: { type: 'string', description: 'host:port, as configured' },
          ok: { type: 'boolean' },
          role: { enum: ['replica', 'primary', 'unknown'] },
          application_name: { type: ['string', 'null'] },
          samples: { type: 'integer' },
          seen: { type: 'integer' },
          lag_ms: {
            type: 'object',
            description:
              'null when nothing was seen; an unseen heartbeat counts as the time waited',
            properties: Object.fromEntries(
              ['last', 'p50', 'p90', 'p99', 'max'].map((key) => [
                key,
                { type: ['number', 'null'] },
              ]),
            ),
          },
          lag_bytes: { type: ['number', 'null'] },
          replay_lsn: { type: ['string', 'null'] },
          timeline: { type: ['integer', 'null'] },
          failures: {
            type: 'array',
            items: {
              type: 'object',
              properties: { type: { type: 'string' }, detail: { type: 'string' } },
            },
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

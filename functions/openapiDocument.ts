import { z } from 'zod';
import { PROBLEM_TYPE_PREFIX } from '../http/problem.js';
import type { Answer, Operation, Route } from '../http/route.js';

// The OpenAPI 3.1 document, written from the routes the api target serves:
// their paths, the schemas their operations validate with, and the answers
// each declares. Nothing is restated by hand.

const problem = z
  .object({
    type: z.string().meta({ description: `${PROBLEM_TYPE_PREFIX} followed by a slug` }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), detail: z.string() })).optional(),
  })
  .loose()
  .meta({ id: 'Problem' });

type JsonSchema = Record<string, unknown>;

// Schemas with an `id` go to components and are referenced.
const registered = new Map<string, JsonSchema>();
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const generated = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  });
  // Nested schemas with an id come as $defs: they belong in components.
  const {
    $schema: _,
    $defs: defs,
    ...json
  } = JSON.parse(
    JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/'),
  ) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [id, definition] of Object.entries(defs ?? {})) registered.set(id, definition);
  const id = z.globalRegistry.get(schema)?.id;
  if (typeof id !== 'string') return json;
  const ref = `#/components/schemas/${id}`;
  // A root with an id may come as a reference to its own definition.
  if (json.$ref !== ref) registered.set(id, json);
  return { $ref: ref };
}

function parameters(schema: z.ZodType | undefined, place: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'output') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: place,
      required: place === 'path' || (json.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function response(answer: Answer) {
  const headers = Object.entries(answer.headers ?? {}).map(([name, description]) => [
    name,
    { description, schema: { type: 'string' } },
  ]);
  const media = answer.problem ? 'application/problem+json' : 'application/json';
  const schema = answer.problem ? problem : answer.schema;
  return {
    description: answer.description,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
    ...(schema ? { content: { [media]: { schema: jsonSchema(schema, 'output') } } } : {}),
  };
}

function describe(route: Route, operation: Operation) {
  return {
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    security: route.auth ? [{ basicAuth: [] }] : [],
    parameters: [...parameters(operation.params, 'path'), ...parameters(operation.query, 'query')],
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(operation.body, 'input') } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(operation.answers).map(([status, answer]) => [status, response(answer)]),
    ),
  };
}

export function openapiDocument(routes: Route[]) {
  const paths = Object.fromEntries(
    routes.map((route) => [
      route.path,
      Object.fromEntries(
        Object.entries(route.operations).map(([method, operation]) => [
          method.toLowerCase(),
          describe(route, operation),
        ]),
      ),
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'pg-replica-functions',
      version: '0.1.0',
      description:
        'Writes countries on a PostgreSQL primary, reads them back from its streaming replicas, ' +
        'and measures how late each replica shows a write. Errors are RFC 9457 problem documents.',
    },
    paths,
    components: {
      securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } },
      schemas: Object.fromEntries(registered),
    },
  };
}

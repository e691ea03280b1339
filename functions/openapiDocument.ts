import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { PROBLEM_TYPE_PREFIX } from '../http/problem.js';
import type { Answer, Operation, Route } from '../http/route.js';
import type { Schema } from '../http/validation.js';
import {
  checkProblem,
  checkReplica,
  checkReport,
  failure,
  healthProblem,
  healthReplica,
  healthReport,
  historyAnswer,
  lagSummary,
  replicationEvent,
  replicationSlot,
  runningWindow,
  standby,
  storedWindow,
} from '../replication/reportSchema.js';
import { countryInput, countryOutput } from './schemas.js';

// The OpenAPI 3.1 document, written from the routes the api target serves:
// their paths, the schemas their operations validate with, and the answers
// each declares. Nothing is restated by hand.

const problem = v.looseObject({
  type: v.pipe(v.string(), v.description(`${PROBLEM_TYPE_PREFIX} followed by a slug`)),
  title: v.string(),
  status: v.number(),
  detail: v.string(),
  errors: v.optional(v.array(v.object({ field: v.string(), detail: v.string() }))),
});

// Schemas written once, under components, and referenced wherever they appear.
const COMPONENTS: Record<string, Schema> = {
  Country: countryOutput,
  CountryInput: countryInput,
  Problem: problem,
  CheckReport: checkReport,
  CheckProblem: checkProblem,
  CheckReplica: checkReplica,
  HealthReport: healthReport,
  HealthProblem: healthProblem,
  HealthReplica: healthReplica,
  LagSummary: lagSummary,
  Failure: failure,
  ReplicationEvent: replicationEvent,
  Standby: standby,
  ReplicationSlot: replicationSlot,
  History: historyAnswer,
  StoredWindow: storedWindow,
  RunningWindow: runningWindow,
};

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: Schema, typeMode: 'input' | 'output'): JsonSchema {
  const generated = toJsonSchema(schema, {
    target: 'draft-2020-12',
    typeMode,
    // Checks and transforms have no JSON Schema; their metadata says what they mean.
    errorMode: 'ignore',
    definitions: COMPONENTS,
  });
  const {
    $schema: _,
    $defs: __,
    ...json
  } = JSON.parse(
    JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/'),
  ) as JsonSchema;
  return json;
}

function parameters(schema: Schema | undefined, place: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as {
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
  const schema = answer.problem ? (answer.schema ?? problem) : answer.schema;
  return {
    description: answer.description,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
    ...(schema ? { content: { [media]: { schema: jsonSchema(schema, 'output') } } } : {}),
  };
}

// The router refuses a body type other than JSON on every POST, those that
// take no body included, so that an HTML form cannot start one (http/router.ts).
const formRefused: Answer = {
  description:
    'A Content-Type other than application/json (an HTML form’s included); send none, or application/json',
  problem: true,
};

function answersOf(method: string, operation: Operation): Record<number, Answer> {
  if (method !== 'POST' || operation.body || operation.answers[415]) return operation.answers;
  return { ...operation.answers, 415: formRefused };
}

function describe(route: Route, method: string, operation: Operation) {
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
      Object.entries(answersOf(method, operation)).map(([status, answer]) => [
        status,
        response(answer),
      ]),
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
          describe(route, method, operation),
        ]),
      ),
    ]),
  );
  const schemas = Object.fromEntries(
    Object.entries(COMPONENTS).map(([id, schema]) => {
      // A component's own definition, not a reference to itself.
      const { [id]: _, ...others } = COMPONENTS;
      const {
        $schema: __,
        $defs: ___,
        ...json
      } = JSON.parse(
        JSON.stringify(
          toJsonSchema(schema, {
            target: 'draft-2020-12',
            typeMode: id === 'CountryInput' ? 'input' : 'output',
            errorMode: 'ignore',
            definitions: others,
          }),
        ).replaceAll('"#/$defs/', '"#/components/schemas/'),
      ) as JsonSchema;
      return [id, json];
    }),
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
      schemas,
    },
  };
}

import { expect, it } from 'vitest';
import { apiRoutes } from '../functions/api.js';
import type { ServiceDependencies } from '../functions/dependencies.js';
import { openapiDocument } from '../functions/openapiDocument.js';

// Turns a route pattern such as /^\/country\/([^/]+)$/ into /country/{x}.
function templateOf(pattern: RegExp): string {
  return pattern.source
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\\\//g, '/')
    .replace(/\\\./g, '.')
    .replace(/\([^)]*\)/g, '{}');
}

it('documents every route and method the api target serves', () => {
  const routes = apiRoutes({ db: {}, replication: {} } as unknown as ServiceDependencies);
  const documented = Object.entries(openapiDocument.paths).map(([path, operations]) => ({
    template: path.replace(/\{[^}]+\}/g, '{}'),
    methods: Object.keys(operations)
      .map((m) => m.toUpperCase())
      .sort(),
  }));
  expect(documented.map((d) => d.template).sort()).toEqual(
    routes.map((r) => templateOf(r.pattern)).sort(),
  );
  for (const route of routes) {
    const entry = documented.find((d) => d.template === templateOf(route.pattern));
    expect(entry?.methods, templateOf(route.pattern)).toEqual(Object.keys(route.methods).sort());
  }
});

import { expect } from 'vitest';
import type { Client } from './http.js';

/**
 * The "done when": US is served from the primary, and a country
 * POSTed there is readable from the replica within a second.
 */
export async function expectWriteReadBack(
  api: Client,
  row: { name: string; two_letter: string; country_id: number },
): Promise<void> {
  expect((await api.request('GET', '/country/US')).json).toEqual({
    name: 'United States of America',
    two_letter: 'US',
    country_id: 840,
  });
  const created = await api.request('POST', '/country', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(row),
  });
  expect(created.status).toBe(201);
  const started = Date.now();
  let replica = await api.request('GET', `/country_replica/${row.two_letter}`);
  while (replica.status === 404 && Date.now() - started < 1000) {
    replica = await api.request('GET', `/country_replica/${row.two_letter}`);
  }
  expect(replica.status).toBe(200);
  expect(replica.json).toEqual(created.json);
}

import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { checkReport } from '../replication/reportSchema.js';
import { isLeftover, pickUnused, SYNTHETIC_CODES, SYNTHETIC_IDS, syntheticName } from './codes.js';

export interface JourneyOptions {
  url: string;
  user: string | undefined;
  password: string | undefined;
  timeoutMs: number;
  /** Called as each step ends. */
  report(step: StepResult): void;
}

export interface StepResult {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

class StepFailed extends Error {}

type Row = { name: string; two_letter: string; country_id: number };

/**
 * The black-box journey a user takes, safe to run every minute against
 * production: status, list, read one, reap own leftovers, create a
 * temporary country, read it back from the replica by LSN, delete it, and
 * the replication check. Returns true when every step passed.
 */
export async function runJourney(options: JourneyOptions): Promise<boolean> {
  const base = options.url.replace(/\/+$/, '');
  const auth: Record<string, string> =
    options.user !== undefined
      ? {
          authorization: `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`,
        }
      : {};

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { ...auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the failure message
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  function expectStatus(answer: Answer, ...expected: number[]): void {
    if (expected.includes(answer.status)) return;
    const problem = answer.body as { type?: string; detail?: string } | undefined;
    const why = problem?.detail
      ? `${problem.type?.split(':').pop()}: ${problem.detail}`
      : String(answer.body).slice(0, 200);
    throw new StepFailed(`HTTP ${answer.status} (expected ${expected.join(' or ')}): ${why}`);
  }

  async function step(name: string, work: () => Promise<string>): Promise<void> {
    const started = performance.now();
    try {
      const detail = await work();
      options.report({ step: name, ok: true, ms: performance.now() - started, detail });
    } catch (error) {
      const detail =
        error instanceof StepFailed ? error.message : `request failed: ${(error as Error).message}`;
      options.report({ step: name, ok: false, ms: performance.now() - started, detail });
      throw new StepFailed(detail);
    }
  }

  const startedAt = new Date();
  const runId = randomBytes(4).toString('hex');
  let rows: Row[] = [];
  let created: Row | undefined;
  let lsn = '';
  let ok = true;
  try {
    await step('status', async () => {
      const answer = await call('GET', '/status');
      expectStatus(answer, 200);
      return 'ok';
    });
    await step('list', async () => {
      const answer = await call('GET', '/country');
      expectStatus(answer, 200);
      rows = answer.body as Row[];
      if (!Array.isArray(rows) || rows.length === 0) throw new StepFailed('the list is empty');
      return `${rows.length} countries`;
    });
    await step('read one', async () => {
      const answer = await call('GET', '/country/US');
      expectStatus(answer, 200);
      if ((answer.body as Row).two_letter !== 'US')
        throw new StepFailed('GET /country/US did not return US');
      return (answer.body as Row).name;
    });
    await step('reap leftovers', async () => {
      const leftovers = rows.filter((row) => isLeftover(row, startedAt));
      for (const row of leftovers)
        expectStatus(await call('DELETE', `/country/${row.two_letter}`), 204, 404);
      return `${leftovers.length} removed`;
    });
    await step('create', async () => {
      const usedCodes = new Set(rows.map((row) => row.two_letter));
      const usedIds = new Set(rows.map((row) => row.country_id));
      // Another run may take the same code or id at the same moment: try others.
      for (let attempt = 0; attempt < 5; attempt++) {
        const two_letter = pickUnused(SYNTHETIC_CODES, usedCodes);
        const country_id = pickUnused(SYNTHETIC_IDS, usedIds);
        if (!two_letter || !country_id)
          throw new StepFailed('no free user-assigned code or id left');
        const row = { name: syntheticName(startedAt, runId), two_letter, country_id };
        const answer = await call('POST', '/country', row);
        if (answer.status === 409) {
          usedCodes.add(two_letter);
          usedIds.add(country_id);
          continue;
        }
        expectStatus(answer, 201);
        created = row;
        lsn = answer.headers.get('x-primary-lsn') ?? '';
        if (!lsn) throw new StepFailed('no X-Primary-LSN header');
        return `${two_letter} at ${lsn}`;
      }
      throw new StepFailed('every code tried was taken');
    });
    await step('read back from replica', async () => {
      const answer = await call(
        'GET',
        `/country_replica/${created?.two_letter}?min_lsn=${lsn}&wait_ms=5000`,
      );
      expectStatus(answer, 200);
      if ((answer.body as Row).name !== created?.name)
        throw new StepFailed('the replica returned another row');
      return `at ${answer.headers.get('x-replica-lsn')}`;
    });
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    ok = false;
  }
  // Always, even after a failure: delete what this run created, and nothing else.
  if (created) {
    const code = created.two_letter;
    await step('delete', async () => {
      expectStatus(await call('DELETE', `/country/${code}`), 204);
      return code;
    }).catch(() => {
      ok = false;
    });
  }
  await step('replication check', async () => {
    const answer = await call('POST', '/replication_check');
    expectStatus(answer, 200);
    const report = v.parse(checkReport, answer.body);
    return `lag ${report.lag_ms} ms, ${report.lag_bytes} bytes`;
  }).catch(() => {
    ok = false;
  });
  return ok;
}

import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient } from '../support/http.js';
import { type Spawned, spawnEntry } from '../support/process.js';
import { startTestPair, type TestPair } from '../support/testPair.js';

// The live page in a real headless Chromium (Debian's, installed by .ci/run),
// served by the real server process on a primary and two standbys.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// What the page polls the health at: a failure must show within this + 2 s.
const HEALTH_POLL_MS = 1000;

let pair: TestPair;
let server: Spawned;
let url: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`,
    );
  }
  pair = await startTestPair({ standbys: 2 });
  server = spawnEntry('server/main.ts', { ...pair.env, PORT: '0', K_SERVICE: 'page-test' });
  const [, port] = await server.waitFor(/"port":(\d+)/);
  url = `http://127.0.0.1:${port}`;
  // Two windows in the history, as Cloud Scheduler (or npm start) would make.
  const api = httpClient(url, pair.env);
  for (let i = 0; i < 2; i++) {
    expect((await api.request('POST', '/replication_check?samples=5&interval_ms=200')).status).toBe(
      200,
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  if (server?.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await pair?.stop();
});

describe('the live page', () => {
  it('asks for Basic credentials', async () => {
    const context = await browser.newContext();
    try {
      // Headless Chromium cannot show the login prompt a 401 with WWW-Authenticate asks for.
      await expect((await context.newPage()).goto(`${url}/`)).rejects.toThrow(
        /ERR_INVALID_AUTH_CREDENTIALS/,
      );
    } finally {
      await context.close();
    }
  });

  it('loads with Basic auth and draws one lag series per replica, beside the threshold', async () => {
    const context = await browser.newContext({
      httpCredentials: {
        username: pair.env.BASIC_AUTH_USERNAME ?? '',
        password: pair.env.BASIC_AUTH_PASSWORD ?? '',
      },
    });
    page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(`${url}/`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.getAttribute('#chart', 'data-replica-series')).toBe('2');
    const legend = await page.locator('.u-legend .u-series .u-label').allTextContents();
    for (const [index, endpoint] of pair.endpoints.entries()) {
      expect(legend).toContain(`${endpoint} (standby${index + 1})`);
    }
    expect(legend.some((label) => label.startsWith('threshold'))).toBe(true);
    expect(await page.locator('#chart canvas').count()).toBe(1);
    expect(await page.textContent('#chart-note')).toMatch(/^2 windows, 10 heartbeats/);
    for (const endpoint of pair.endpoints) {
      await expect
        .poll(() => page.getAttribute(`tr[data-endpoint="${endpoint}"]`, 'data-state'))
        .toBe('ok');
    }
    expect(errors).toEqual([]);
  });

  it('charts each heartbeat as it is measured, while its window is still running', async () => {
    const api = httpClient(url, pair.env);
    let answered = false;
    // 6 s: the page reads the stored history only every 10 s.
    const window = api
      .request('POST', '/replication_check?samples=12&interval_ms=500')
      .finally(() => {
        answered = true;
      });
    const started = performance.now();
    await expect
      .poll(async () => Number(await page.getAttribute('#chart', 'data-live-points')), {
        timeout: 4000,
        interval: 50,
      })
      .toBeGreaterThan(0);
    expect(answered).toBe(false);
    // Within a second or two of the first heartbeat, not at the window's end.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await page.textContent('#chart-note')).toMatch(/1 window\(s\) running/);
    // One more point per replica and heartbeat as they are measured.
    const first = Number(await page.getAttribute('#chart', 'data-live-points'));
    await expect
      .poll(async () => Number(await page.getAttribute('#chart', 'data-live-points')), {
        timeout: 3000,
      })
      .toBeGreaterThan(first);
    expect(answered).toBe(false);
    expect((await window).status).toBe(200);
    // Once stored, it is charted from the history: nothing is left only live.
    await expect
      .poll(() => page.getAttribute('#chart', 'data-live-points'), { timeout: 5000 })
      .toBe('0');
    expect(await page.textContent('#chart-note')).toMatch(/^3 windows, 22 heartbeats/);
  });

  it('shows a stopped standby as failing within one polling interval + 2 s', async () => {
    const stopped = pair.endpoints[1] ?? '';
    await pair.pair.standbys[1]?.stop();
    const started = performance.now();
    await expect
      .poll(() => page.getAttribute(`tr[data-endpoint="${stopped}"]`, 'data-state'), {
        timeout: HEALTH_POLL_MS + 2000,
        interval: 50,
      })
      .toBe('failing');
    expect(performance.now() - started).toBeLessThan(HEALTH_POLL_MS + 2000);
    expect(await page.textContent(`tr[data-endpoint="${stopped}"] td:nth-child(2)`)).toContain(
      'replica-unreachable',
    );
    expect(await page.getAttribute(`tr[data-endpoint="${pair.endpoints[0]}"]`, 'data-state')).toBe(
      'ok',
    );
  });

  it('says so when the primary is down: the windows are only in the logs', async () => {
    expect(await page.isVisible('#banner')).toBe(false);
    await pair.pair.primary.stop();
    await expect
      .poll(() => page.isVisible('#banner'), { timeout: HEALTH_POLL_MS + 2000 })
      .toBe(true);
    expect(await page.textContent('#banner')).toContain('only in the logs');
  });
});

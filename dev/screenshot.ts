// `npm run screenshot`: the live page as a PNG (docs/page.png, shown in
// docs/operations.md). A local primary and two standbys, the second applying WAL 40 ms
// late so that the two lines part, the server as the container runs it, a
// minute of sampling windows, then a picture taken by headless Chromium
// (Debian's: apt-get install chromium, or CHROMIUM_PATH).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { httpClient } from '../test/support/http.js';
import { spawnEntry } from '../test/support/process.js';
import { startTestPair } from '../test/support/testPair.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = 'docs/page.png';
if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  process.exit(1);
}

const pair = await startTestPair({ standbys: 2 });
const server = spawnEntry('server/main.ts', { ...pair.env, PORT: '0', K_SERVICE: 'screenshot' });
try {
  const [, port] = await server.waitFor(/"port":(\d+)/);
  const url = `http://127.0.0.1:${port}`;
  const api = httpClient(url, pair.env);
  const standby = pair.superuser(1, 'postgres');
  await standby`alter system set recovery_min_apply_delay = '40ms'`;
  await standby`select pg_reload_conf()`;
  for (let window = 0; window < 6; window++) {
    await api.request('POST', '/replication_check?samples=20&interval_ms=500');
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  const context = await browser.newContext({
    viewport: { width: 1100, height: 1000 },
    httpCredentials: {
      username: pair.env.BASIC_AUTH_USERNAME ?? '',
      password: pair.env.BASIC_AUTH_PASSWORD ?? '',
    },
  });
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.waitForSelector('#chart canvas');
  await page.waitForSelector('tr[data-state="ok"]');
  await page.screenshot({ path: OUT, fullPage: true });
  await browser.close();
  console.log(`wrote ${OUT}`);
} finally {
  server.child.kill('SIGTERM');
  await server.exited;
  await pair.stop();
}

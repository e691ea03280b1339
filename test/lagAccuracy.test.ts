import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../server/service.js';
import { httpClient } from './support/http.js';
import { startTestService } from './support/service.js';
import { setApplyDelay } from './support/settings.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// Lag measures replication, not the prober. The bounds carry a tolerance for
// a loaded 2-core CI machine (CI_SLACK_MS); `npm run bench` prints the true
// error. Standby 2 applies every commit `recovery_min_apply_delay` late.
const CI_SLACK_MS = 7;

let pair: TestPair;
beforeAll(async () => {
  pair = await startTestPair({ standbys: 2 });
});
afterAll(async () => {
  await pair?.stop();
});

interface Lag {
  last: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface Replica {
  endpoint: string;
  samples: number;
  seen: number;
  polls: number;
  lag_ms: Lag;
}

async function window(service: RunningService, samples: number, intervalMs: number) {
  const answer = await httpClient(service.url, pair.env).request(
    'POST',
    `/replication_check?samples=${samples}&interval_ms=${intervalMs}`,
  );
  expect(answer.status, answer.text).toBe(200);
  return answer.json.replicas as Replica[];
}

describe('the first window of a fresh server', () => {
  it('measures a healthy replica without counting the connection: its max stays near its p50', async () => {
    const fresh = await startTestService({ ...pair.env, K_SERVICE: 'cold-window-test' });
    try {
      const replicas = await window(fresh, 5, 200);
      for (const replica of replicas) expect(replica.seen).toBe(5);
      // Before, the first heartbeat waited for each endpoint's connection:
      // 37–59 ms on a 4 ms replica, on every replica. A loaded machine can
      // also schedule one reading late (24 ms once on CI), on one replica: so
      // the bound is on the replica whose max stays nearest its p50.
      const spreads = replicas.map((replica) => replica.lag_ms.max - replica.lag_ms.p50);
      expect(Math.min(...spreads), JSON.stringify(replicas)).toBeLessThan(4 + 2 * CI_SLACK_MS);
    } finally {
      await fresh.close();
    }
  });
});

describe('a replica applying late', () => {
  const HEARTBEATS = 10;
  it.each([300, 1000])(
    'is measured to the millisecond at %i ms: p50 within +0…5 ms, p90 within +8 ms',
    async (delayMs) => {
      const service = await startTestService({
        ...pair.env,
        K_SERVICE: `accuracy-${delayMs}`,
        REPLICA_MAX_LAG_MS: String(delayMs * 3),
      });
      await setApplyDelay(pair, 1, delayMs);
      try {
        // Ten heartbeats, so that the nearest-rank p90 is the ninth reading,
        // not the max (with eight it was, and one late reading failed it).
        const [healthy, late] = await window(service, HEARTBEATS, 250);
        expect(late?.seen).toBe(HEARTBEATS);
        const lag = late?.lag_ms as Lag;
        // The machine's own noise in this window, as the healthy standby shows
        // it: on an overloaded machine PostgreSQL and this process are
        // scheduled late, which moves readings both ways (a late commit
        // acknowledgement reads short). Near 0 on a quiet machine.
        const noise = Math.max(0, (healthy?.lag_ms.p90 ?? 0) - (healthy?.lag_ms.p50 ?? 0));
        const slack = CI_SLACK_MS + noise;
        // The delay runs from the commit's timestamp, taken a little before the
        // commit returns: a reading can sit up to a couple of ms under it.
        expect(lag.p50, JSON.stringify({ lag, noise })).toBeGreaterThan(delayMs - 3 - noise);
        expect(lag.p50, JSON.stringify({ lag, noise })).toBeLessThan(delayMs + 5 + slack);
        // PostgreSQL itself is sometimes scheduled late, and that is real lag:
        // the +8 ms bound holds for 90 % of the heartbeats here, and for all
        // with a wider margin (`npm run bench` prints the true error). The old
        // back-off read 1039 ms at 1000.
        expect(lag.p90, JSON.stringify({ lag, noise })).toBeLessThan(delayMs + 8 + slack);
        expect(lag.max, JSON.stringify({ lag, noise })).toBeLessThan(delayMs + 8 + 3 * slack);
        // At a bounded cost: polls start near the expected moment, not from the commit.
        expect((late?.polls ?? 0) / HEARTBEATS).toBeLessThan(delayMs === 1000 ? 60 : 40);
      } finally {
        await setApplyDelay(pair, 1, 0);
        await service.close();
      }
    },
  );
});

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What Cloud Scheduler does for a deployment, for `npm start`: one sampling
 * window after another (60 × 1 s by default) against the running service, so
 * that the live page has data. Each answer is logged by the service itself.
 */
export function startSampler(
  url: string,
  authorization: string,
  window = { samples: 60, intervalMs: 1000 },
): { stop(): void } {
  let stopped = false;
  const length = window.samples * window.intervalMs;
  const run = async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const answer = await fetch(
          `${url}/replication_check?samples=${window.samples}&interval_ms=${window.intervalMs}`,
          { method: 'POST', headers: { authorization } },
        );
        await answer.arrayBuffer();
      } catch {
        // The server is starting or stopping: the next window starts on schedule.
      }
      // One window a period, as a scheduler would start them, however soon
      // one answered (a failing check answers at once).
      const rest = started + length - performance.now();
      if (rest > 0 && !stopped) await sleep(rest);
    }
  };
  void run();
  return {
    stop() {
      stopped = true;
    },
  };
}

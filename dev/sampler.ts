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
  const run = async () => {
    while (!stopped) {
      try {
        const answer = await fetch(
          `${url}/replication_check?samples=${window.samples}&interval_ms=${window.intervalMs}`,
          { method: 'POST', headers: { authorization } },
        );
        await answer.arrayBuffer();
      } catch {
        // The server is starting or stopping: try again shortly.
        if (!stopped) await sleep(1000);
      }
    }
  };
  void run();
  return {
    stop() {
      stopped = true;
    },
  };
}

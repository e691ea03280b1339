import type { Client } from './http.js';

export interface Sample {
  path: string;
  status: number;
  ms: number;
  at: number;
}

/**
 * Runs `workers` loops of requests until stop() (or `maxRequests` each, so it
 * always ends), recording every status and latency.
 */
export function startLoad(client: Client, paths: string[], workers = 4, maxRequests = 20_000) {
  const samples: Sample[] = [];
  let running = true;
  const loop = async (offset: number) => {
    for (let i = 0; running && i < maxRequests; i++) {
      const path = paths[(i + offset) % paths.length] ?? '/status';
      const started = performance.now();
      let status = 0;
      try {
        status = (await client.request('GET', path)).status;
      } catch {
        status = -1; // connection-level failure: the server did not answer at all
      }
      samples.push({ path, status, ms: performance.now() - started, at: started });
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, index) => loop(index)));
  return {
    samples,
    async stop() {
      running = false;
      await done;
      return samples;
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

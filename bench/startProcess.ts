import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export const FRAMEWORK_CLI = 'node_modules/@google-cloud/functions-framework/build/src/main.js';

export interface TimedStart {
  child: ChildProcess;
  /** Milliseconds from spawn to the first 200 on `probeUrl`. */
  ms: number;
}

/** Spawns `node args…` and polls `probeUrl` every 5 ms until it answers 200. */
export async function timeToFirst200(
  args: string[],
  env: Record<string, string | undefined>,
  probeUrl: string,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<TimedStart> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  while (performance.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(probeUrl, { headers });
      await response.arrayBuffer();
      if (response.status === 200) return { child, ms: performance.now() - started };
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  child.kill('SIGKILL');
  throw new Error(`no 200 from ${probeUrl} within ${timeoutMs} ms: ${stderr}`);
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

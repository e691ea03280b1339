import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const FRAMEWORK_CLI = 'node_modules/@google-cloud/functions-framework/build/src/main.js';

/**
 * The node arguments the image's CMD runs the server with (its V8 flags
 * included), with its dist/ replaced by `dist`: the benchmarks measure what
 * the container runs.
 */
export function serverArgs(dist = 'dist'): string[] {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const [program, ...args] = JSON.parse(
    /^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]',
  ) as string[];
  if (program !== 'node') throw new Error(`the Dockerfile's CMD runs ${program}, not node`);
  return args.map((arg) => arg.replace(/^dist\//, `${dist}/`));
}

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

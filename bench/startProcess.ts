import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../dev/freePort.js';

export const FRAMEWORK_CLI = 'node_modules/@google-cloud/functions-framework/build/src/main.js';

/**
 * The node arguments the image's CMD runs the server with (its V8 flags
 * included), from the Dockerfile beside `dist`, with its dist/ replaced by
 * `dist`: the benchmarks measure what the container runs, a baseline build
 * as its own image ran it.
 */
export function serverArgs(dist = 'dist'): string[] {
  const dockerfile = readFileSync(join(dist, '..', 'Dockerfile'), 'utf8');
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

/** Starts `node args…` on a free port (PORT) and waits for a 200 on `probePath`. */
export async function serveOnFreePort(
  args: string[],
  env: Record<string, string | undefined>,
  probePath: string,
  headers: Record<string, string> = {},
): Promise<TimedStart & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = await timeToFirst200(
    args,
    { ...env, PORT: String(port) },
    `${url}${probePath}`,
    headers,
  );
  return { ...started, url };
}

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** User + system CPU a process has used so far (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
  const afterName = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(afterName[11]) + Number(afterName[12])) / TICKS_PER_S;
}

/** CPU seconds used so far by every PostgreSQL process on the machine (backends, walsenders, …). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres'))
        total += cpuSeconds(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** A process's resident memory now and at its peak (VmHWM), in MB. */
export function rssMb(child: ChildProcess): { now: number; peak: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
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

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './process.js';

export interface GroupProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** What a terminal does on Ctrl-C: the signal to every process of the group (npm, tsx, the server). */
  signalGroup(signal: NodeJS.Signals): void;
  /** How the group leader ended (npm, or tsx when started without npm). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once no process of the group is left. */
  groupGone(timeoutMs?: number): Promise<void>;
  /** SIGKILL to whatever of the group is still running (cleanup). */
  kill(): Promise<void>;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm start` as a person runs it in a terminal: npm → sh → tsx → the
 * server, all in one process group of their own, so that a signal to the
 * group reaches every one of them, as Ctrl-C does. With `tsx`, only what
 * the script runs (tsx → the server): the group leader's exit code is then
 * the server's (npm's is not: sh dies of the SIGINT once its child is done,
 * and npm re-raises it).
 */
export function startInGroup(env: Record<string, string>, how: 'npm' | 'tsx'): GroupProcess {
  const [command, args] =
    how === 'npm' ? ['npm', ['start']] : [join(ROOT, 'node_modules/.bin/tsx'), ['dev/start.ts']];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      npm_config_update_notifier: 'false',
      ...env,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? 0;
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let closed = false;
  void exited.then(() => {
    closed = true;
    for (const listener of listeners) listener();
  });

  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          } else if (closed) {
            cleanup();
            reject(new Error(`${how} exited before ${pattern}; output:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    signalGroup(signal) {
      process.kill(-pid, signal);
    },
    async groupGone(timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      while (groupAlive(pid)) {
        if (performance.now() > deadline) throw new Error(`process group ${pid} still running`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async kill() {
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
      await exited;
    },
  };
}

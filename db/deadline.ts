export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

// The framework runs every request in a domain, which makes each async
// resource (every timer, every promise) cost a hook. So deadlines share one
// sweeping timer instead of a setTimeout each; they fire up to SWEEP_MS late.
const SWEEP_MS = 20;
const pending = new Set<{ at: number; fire: () => void }>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const entry of pending) {
    if (entry.at <= now) {
      pending.delete(entry);
      entry.fire();
    }
  }
  if (pending.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** Calls `fire` once `at` (epoch ms) has passed, unless cancelled first. */
export function atDeadline(at: number, fire: () => void): () => void {
  const entry = { at, fire };
  pending.add(entry);
  if (!sweeper) {
    sweeper = setInterval(sweep, SWEEP_MS);
    sweeper.unref();
  }
  return () => pending.delete(entry);
}

/**
 * Rejects with DeadlineExceeded when `work` has not settled within `ms`.
 * The work itself is not cancelled: the caller discards the pool it runs on.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, totalMs = ms): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = atDeadline(Date.now() + Math.max(0, ms), () =>
      reject(new DeadlineExceeded(totalMs)),
    );
    work.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}

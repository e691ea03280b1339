import { DeadlineExceeded } from './deadline.js';

export interface Slots {
  /** A free slot's release, at once, or undefined when all are taken. */
  tryAcquire(): (() => void) | undefined;
  /** Waits for a free slot until `deadlineAt` (epoch ms); resolves with its release. */
  acquire(deadlineAt: number, totalMs: number): Promise<() => void>;
  readonly active: number;
  readonly waiting: number;
}

/**
 * At most `max` units of work per host at once, one connection each. Work
 * beyond that waits here, where a deadline simply drops it, rather than in
 * postgres.js's queue, which keeps sending queued queries after the pool has
 * been ended: a write answered 503 would commit when a frozen host thaws.
 */
export function createSlots(max: number): Slots {
  let active = 0;
  const waiting: { grant: () => void }[] = [];

  const release = () => {
    const next = waiting.shift();
    if (next) next.grant();
    else active--;
  };

  return {
    tryAcquire() {
      if (active >= max) return undefined;
      active++;
      return once(release);
    },
    acquire(deadlineAt, totalMs) {
      if (active < max) {
        active++;
        return Promise.resolve(once(release));
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          grant: () => {
            clearTimeout(timer);
            resolve(once(release));
          },
        };
        const timer = setTimeout(
          () => {
            waiting.splice(waiting.indexOf(waiter), 1);
            reject(new DeadlineExceeded(totalMs));
          },
          Math.max(0, deadlineAt - Date.now()),
        );
        waiting.push(waiter);
      });
    },
    get active() {
      return active;
    },
    get waiting() {
      return waiting.length;
    },
  };
}

function once(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}

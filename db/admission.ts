import { atDeadline, DeadlineExceeded } from './deadline.js';

type Release = () => void;

interface Admission {
  /** Enters at once, or undefined when every place is taken. */
  tryEnter(): Release | undefined;
  /** Waits for a place until `deadlineAt` (epoch ms); rejects with DeadlineExceeded after. */
  enter(deadlineAt: number, totalMs: number): Promise<Release>;
  /** Units of work inside (each on a connection) and waiting, for the metrics. */
  load(): { inUse: number; waiting: number };
}

/**
 * At most `max` units of work per host at once, one connection each. Work
 * beyond that waits here, where a deadline simply drops it, rather than in
 * postgres.js's queue, which keeps sending queued queries after the pool has
 * been ended: a write answered 503 would commit when a frozen host thaws.
 */
export function createAdmission(max: number): Admission {
  let inside = 0;
  const waiting: { admit: () => void }[] = [];

  const leave = () => {
    const next = waiting.shift();
    if (next) next.admit();
    else inside--;
  };

  const tryEnter = (): Release | undefined => {
    if (inside >= max) return undefined;
    inside++;
    return once(leave);
  };

  return {
    tryEnter,
    load: () => ({ inUse: inside, waiting: waiting.length }),
    enter(deadlineAt, totalMs) {
      const release = tryEnter();
      if (release) return Promise.resolve(release);
      return new Promise((resolve, reject) => {
        const waiter = {
          admit: () => {
            cancel();
            resolve(once(leave));
          },
        };
        const cancel = atDeadline(deadlineAt, () => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(new DeadlineExceeded(totalMs));
        });
        waiting.push(waiter);
      });
    },
  };
}

function once(release: Release): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}

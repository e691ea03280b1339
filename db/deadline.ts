export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Rejects with DeadlineExceeded when `work` has not settled within `ms`.
 * The work itself is not cancelled: the caller discards the pool it runs on.
 * (One promise and one timer, not Promise.race: the framework runs every
 * request in a domain, which makes each promise cost an async hook.)
 */
export function withDeadline<T>(work: Promise<T>, ms: number, totalMs = ms): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineExceeded(totalMs)), Math.max(0, ms));
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

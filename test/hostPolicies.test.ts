import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../config/config.js';
import { createAdmission } from '../db/admission.js';
import { DeadlineExceeded, withDeadline } from '../db/deadline.js';
import { createHostClient } from '../db/hostClient.js';
import { holdPool, type Pool } from '../db/pool.js';
import { connectionRetryDelay, mayRetryAuthentication } from '../db/retryPolicy.js';

// The four policies db/hostClient.ts runs around every query, each on its
// own, under fake timers. The fault tests exercise them against real servers.

// One fake clock for the file: the deadline's sweeping timer is module state.
beforeAll(() => {
  vi.useFakeTimers();
});
afterAll(() => {
  vi.useRealTimers();
});

const settled = async <T>(promise: Promise<T>) => {
  const state = { done: false, value: undefined as T | undefined, error: undefined as unknown };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  await vi.advanceTimersByTimeAsync(0);
  return state;
};

describe('the deadline', () => {
  it('rejects work still running when it passes (one sweeping timer, up to 20 ms late)', async () => {
    const work = new Promise(() => {});
    const state = await settled(withDeadline(work, 100, 3000));
    await vi.advanceTimersByTimeAsync(99);
    expect(state.done).toBe(false);
    await vi.advanceTimersByTimeAsync(21);
    expect(state.error).toBeInstanceOf(DeadlineExceeded);
    expect((state.error as DeadlineExceeded).message).toBe('no answer within 3000 ms');
  });

  it('passes on what the work settles with, and then never fires', async () => {
    let finish: (value: string) => void = () => {};
    const state = await settled(withDeadline(new Promise<string>((r) => (finish = r)), 100));
    finish('rows');
    await vi.advanceTimersByTimeAsync(500);
    expect(state).toMatchObject({ done: true, value: 'rows', error: undefined });
    expect(vi.getTimerCount()).toBe(0); // the sweeper stops when nothing is pending
  });
});

describe('admission', () => {
  it('lets in at most max at once, and the next waiter when one leaves', async () => {
    const admission = createAdmission(2);
    const first = admission.tryEnter();
    const second = admission.tryEnter();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(admission.tryEnter()).toBeUndefined();
    const third = await settled(admission.enter(Date.now() + 1000, 1000));
    const fourth = await settled(admission.enter(Date.now() + 1000, 1000));
    expect(third.done).toBe(false);
    first?.();
    first?.(); // leaving twice frees one place only
    await vi.advanceTimersByTimeAsync(0);
    expect(third.done).toBe(true);
    expect(fourth.done).toBe(false);
    second?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(fourth.done).toBe(true);
  });

  it('drops a waiter at its deadline, without taking a place', async () => {
    const admission = createAdmission(1);
    const inside = admission.tryEnter();
    const waiter = await settled(admission.enter(Date.now() + 200, 200));
    await vi.advanceTimersByTimeAsync(230);
    expect(waiter.error).toBeInstanceOf(DeadlineExceeded);
    inside?.();
    expect(admission.tryEnter()).toBeDefined();
  });
});

describe('connection retry', () => {
  const terminated = Object.assign(new Error('terminated'), { code: '57P01' });
  const syntax = Object.assign(new Error('syntax'), { code: '42601' });

  it('retries idempotent work up to the given number of times, 25, 50, 75, then 100 ms apart', () => {
    expect(
      [0, 1, 2, 3, 4, 5].map((tries) => connectionRetryDelay(terminated, true, tries, 5)),
    ).toEqual([25, 50, 75, 100, 100, undefined]);
  });

  it('never retries a write, nor an error about the query', () => {
    expect(connectionRetryDelay(terminated, false, 0, 5)).toBeUndefined();
    expect(connectionRetryDelay(syntax, true, 0, 5)).toBeUndefined();
    // Drizzle wraps driver errors: the code is on the cause.
    const wrapped = new Error('Failed query: …', { cause: terminated });
    expect(connectionRetryDelay(wrapped, true, 0, 5)).toBe(25);
  });

  it('a read meeting every pooled connection dead in turn still succeeds, on the next one', async () => {
    // After a mass termination each of the pool's connections fails one query
    // before it is dropped. The work here fails as they would, without a server.
    vi.useRealTimers();
    const POOL_MAX = 5;
    const { database } = parseConfig({
      POSTGRES_MAIN_HOST: '127.0.0.1',
      POSTGRES_REPLICATION_HOST: '127.0.0.1',
      POSTGRES_MAIN_PASSWORD: 'unused',
      BASIC_AUTH_USERNAME: 'unused',
      BASIC_AUTH_PASSWORD: 'unused',
      DB_POOL_MAX: String(POOL_MAX),
    });
    const client = createHostClient(
      {
        role: 'primary',
        database,
        host: database.primary,
        poolMax: POOL_MAX,
        applicationName: 'retry-test',
        password: () => 'unused',
      },
      () => ({}),
    );
    try {
      let tries = 0;
      const read = () => {
        tries++;
        return tries <= POOL_MAX ? Promise.reject(terminated) : Promise.resolve('row');
      };
      expect(await client.query(read, { idempotent: true })).toBe('row');
      expect(tries).toBe(POOL_MAX + 1);
      tries = -1; // one failure more than the pool holds connections: not a termination
      await expect(client.query(read, { idempotent: true })).rejects.toThrow(
        'the primary database is shutting down or starting up',
      );
    } finally {
      await client.close();
      vi.useFakeTimers();
    }
  });
});

describe('authentication retry', () => {
  const rejected = Object.assign(new Error('password'), { code: '28P01' });

  it('retries a rejected password up to three times', () => {
    expect([0, 1, 2, 3].map((tries) => mayRetryAuthentication(rejected, tries))).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('never retries other errors', () => {
    expect(mayRetryAuthentication(new Error('other'), 0)).toBe(false);
    const conflict = Object.assign(new Error('duplicate'), { code: '23505' });
    expect(mayRetryAuthentication(conflict, 0)).toBe(false);
  });
});

describe('pool retirement', () => {
  function fakePools() {
    const opened: { ended: number }[] = [];
    const open = () => {
      const record = { ended: 0 };
      opened.push(record);
      return {
        sql: { end: async () => void record.ended++ },
        db: {},
        queries: {},
      } as unknown as Pool<object>;
    };
    return { opened, holder: holdPool(open) };
  }

  it('replaces a stuck pool once, however many queries on it give up, and destroys it', async () => {
    const { opened, holder } = fakePools();
    const stuck = holder.current();
    holder.retire(stuck);
    holder.retire(stuck);
    expect(opened).toHaveLength(2);
    expect(opened[0]?.ended).toBe(1);
    expect(holder.current()).not.toBe(stuck);
  });

  it('opens nothing new once closed', async () => {
    const { opened, holder } = fakePools();
    const pool = holder.current();
    await holder.close();
    holder.retire(pool);
    expect(opened).toHaveLength(1);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatabaseUnavailableError } from '../../db/errors.js';
import type { SeenRow } from '../../db/heartbeatQueries.js';
import { windowFailures } from '../../replication/assess.js';
import {
  type Beat,
  createPoller,
  nextPollDelayMs,
  type PollTarget,
  type SamplingSettings,
} from '../../replication/sampler.js';

// The poller's scheduling, on fake timers (performance.now() included) and a
// fake replica behind a fake postgres.js pool: the real-cluster tests
// (pollSchedule, lagAccuracy, restartMidWindow, faults) run the same code
// against PostgreSQL. What the fake keeps of postgres.js: a transaction
// sends BEGIN, its statements and then COMMIT or ROLLBACK when its callback
// settles; when its connection closes it rejects at once, whatever the
// callback does, and anything sent on it afterwards is an error (postgres.js
// throws it uncaught, failing whichever request runs).

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('nextPollDelayMs', () => {
  it.each([
    // No history: every ms, then a gap of 1/20 of the wait, at most 5 ms.
    { name: 'no history, just committed', waited: 0, expected: undefined, delay: 1 },
    { name: 'no history, 40 ms in', waited: 40, expected: undefined, delay: 2 },
    { name: 'no history, 100 ms in: the 5 ms cap', waited: 100, expected: undefined, delay: 5 },
    { name: 'no history, 10 s in: still 5 ms', waited: 10_000, expected: undefined, delay: 5 },
    // Expected 100 ms: wait until 2 ms before it (the lead: 2 ms or 1%).
    { name: 'expected 100, just committed', waited: 0, expected: 100, delay: 98 },
    { name: 'expected 100, 60 ms in', waited: 60, expected: 100, delay: 38 },
    // Then every ms, from the lead before it to 8 ms past the lead after it.
    { name: 'expected 100, at the lead', waited: 98, expected: 100, delay: 1 },
    { name: 'expected 100, last tight poll', waited: 109.9, expected: 100, delay: 1 },
    // Later than expected: a gap of 1/20 of the lateness, at most 5 ms.
    { name: 'expected 100, 60 ms late', waited: 160, expected: 100, delay: 3 },
    { name: 'expected 100, 1 s late', waited: 1100, expected: 100, delay: 5 },
    // A lead of 1% past 200 ms.
    { name: 'expected 1000, just committed', waited: 0, expected: 1000, delay: 990 },
    { name: 'expected 1000, 1% before it', waited: 990, expected: 1000, delay: 1 },
    { name: 'expected 1000, last tight poll', waited: 1017.9, expected: 1000, delay: 1 },
    { name: 'expected 2000, 27 ms late: still tight', waited: 2027, expected: 2000, delay: 1 },
    { name: 'expected 2000, 30 ms late: 1/20 of it', waited: 2030, expected: 2000, delay: 1.5 },
  ])('$name: $delay ms', ({ waited, expected, delay }) => {
    expect(nextPollDelayMs(waited, expected)).toBeCloseTo(delay, 9);
  });
});

interface FakeTransaction {
  closed: boolean;
  /** Settles when its connection closes. */
  lost: Promise<void>;
  /** Every statement sent on it, BEGIN to COMMIT/ROLLBACK. */
  sent: string[];
  /** What was sent after its connection closed: must stay empty. */
  sentAfterClose: string[];
  loseConnection(): void;
}

const CONNECTION_CLOSED = () =>
  Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' });

/** A poller on a fake replica whose heartbeats show `lagMs` after their commit. */
function harness(options: { maxLagMs?: number; queryTimeoutMs?: number } = {}) {
  const settings: SamplingSettings = {
    prober: 'unit',
    maxLagMs: options.maxLagMs ?? 1000,
    queryTimeoutMs: options.queryTimeoutMs ?? 1500,
  };
  const showsAt = new Map<number, number>();
  const transactions: FakeTransaction[] = [];
  /** performance.now() of every poll answered. */
  const polls: number[] = [];
  const lags: { sequence: number; lagMs: number }[] = [];
  let refuse: Error | undefined;
  /** The next polls wait for this before answering (a replica that stalls). */
  let stall: Promise<void> | undefined;

  const send = (tx: FakeTransaction, statement: string) => {
    tx.sent.push(statement);
    if (tx.closed) tx.sentAfterClose.push(statement);
  };
  const seen = {
    client: undefined as FakeTransaction | undefined,
    async execute(
      this: { client: FakeTransaction },
      values: { prober: string },
    ): Promise<SeenRow[]> {
      const tx = this.client;
      send(tx, `poll ${values.prober}`);
      // A poller that polls without waiting never lets the fake clock run: fail, not hang.
      if (tx.sent.length > 20_000) throw new Error('polled 20000 times on one transaction');
      if (stall) await Promise.race([stall, tx.lost]);
      if (tx.closed) throw CONNECTION_CLOSED();
      polls.push(performance.now());
      let shown = 0;
      for (const [sequence, at] of showsAt) if (at <= performance.now()) shown = sequence;
      return [
        {
          sequence: shown ? String(shown) : null,
          replayLsn: `0/${shown}`,
          receiveLsn: `0/${shown}`,
          replayPaused: false,
          receiverStatus: 'streaming',
        },
      ];
    },
  };
  const pool = {
    sql: {
      begin(_mode: string, work: (tx: FakeTransaction) => Promise<unknown>) {
        let lose = () => {};
        const tx: FakeTransaction = {
          closed: false,
          lost: new Promise((resolve) => {
            lose = resolve;
          }),
          sent: [],
          sentAfterClose: [],
          loseConnection: () => {},
        };
        transactions.push(tx);
        send(tx, 'BEGIN read only');
        return new Promise((resolve, reject) => {
          tx.loseConnection = () => {
            tx.closed = true;
            lose();
            reject(CONNECTION_CLOSED());
          };
          work(tx).then(
            (value) => {
              send(tx, 'COMMIT');
              resolve(value);
            },
            (error: unknown) => {
              send(tx, 'ROLLBACK');
              reject(error);
            },
          );
        });
      },
    },
    queries: { seen },
  };
  const target = {
    endpoint: '10.0.0.7:5432',
    sampler: {
      // As db/hostClient.ts does: a connection-level error is the host being unavailable.
      async query(work: (p: typeof pool) => Promise<unknown>) {
        if (refuse) throw refuse;
        try {
          return await work(pool);
        } catch (error) {
          if ((error as { code?: string }).code === 'CONNECTION_CLOSED') {
            throw new DatabaseUnavailableError('replica', 'closed the connection', {
              cause: error,
              endpoint: '10.0.0.7:5432',
            });
          }
          throw error;
        }
      },
    },
  } as unknown as PollTarget;

  const controller = new AbortController();
  let poller: ReturnType<typeof createPoller> | undefined;
  let sequence = 0;
  return {
    transactions,
    polls,
    lags,
    controller,
    get poller() {
      poller ??= createPoller(target, settings, controller.signal, {
        beat: () => {},
        lag: (_endpoint, beat, lagMs) => lags.push({ sequence: beat.sequence, lagMs }),
      });
      return poller;
    },
    refuse(error: Error) {
      refuse = error;
    },
    stall() {
      let release = () => {};
      stall = new Promise((resolve) => {
        release = () => {
          stall = undefined;
          resolve();
        };
      });
      return release;
    },
    /** Commits a heartbeat now; the replica shows it `lagMs` later (never if undefined). */
    beat(lagMs: number | undefined): Beat {
      sequence++;
      const beat: Beat = {
        index: sequence - 1,
        sequence,
        committedAt: performance.now(),
        at: Date.now(),
        lsn: `0/${sequence}`,
      };
      if (lagMs !== undefined) showsAt.set(sequence, beat.committedAt + lagMs);
      this.poller.add(beat);
      return beat;
    },
  };
}

/** Advances the fake clock 1 ms at a time until `done()`, at most `limitMs`. */
async function advanceUntil(done: () => boolean, limitMs = 5000): Promise<void> {
  for (let ms = 0; !done(); ms++) {
    if (ms >= limitMs) throw new Error(`not done within ${limitMs} ms`);
    await vi.advanceTimersByTimeAsync(1);
  }
}

describe('the poller', () => {
  it('answers a first poll on an open transaction before any heartbeat (warm-up)', async () => {
    const h = harness();
    const release = h.stall();
    let ready = false;
    h.poller.ready.then(() => {
      ready = true;
    });
    await vi.advanceTimersByTimeAsync(50);
    // Connecting and the first answer are never counted as lag: not ready before it.
    expect(ready).toBe(false);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(ready).toBe(true);
    expect(h.poller.result).toMatchObject({ polls: 1, samples: 0, seen: 0 });
    expect(h.poller.result.first).toMatchObject({ receiverStatus: 'streaming' });
    expect(h.transactions.map((tx) => tx.sent)).toEqual([['BEGIN read only', 'poll unit']]);
  });

  it.each([
    {
      name: 'shown after 25 ms: seen, its lag to the millisecond',
      lagMs: 25,
      stallMs: 0,
      expected: { seen: 1, lag: [25, 25], lastUnseen: undefined },
    },
    {
      name: 'never shown: not seen, its lag the time waited, at the threshold',
      lagMs: undefined,
      stallMs: 0,
      expected: { seen: 0, lag: [100, 105], lastUnseen: { lsn: '0/1' } },
    },
    {
      name: 'shown by a poll that answered past the threshold: not seen, the time waited',
      lagMs: 20,
      stallMs: 150,
      expected: { seen: 0, lag: [150, 155], lastUnseen: { lsn: '0/1' } },
    },
  ])('a heartbeat $name', async ({ lagMs, stallMs, expected }) => {
    const h = harness({ maxLagMs: 100 });
    await h.poller.ready;
    const release = stallMs ? h.stall() : undefined;
    h.beat(lagMs);
    if (release) setTimeout(release, stallMs);
    await advanceUntil(() => h.lags.length === 1);
    h.poller.finish();
    await h.poller.done;
    const { result } = h.poller;
    expect(result).toMatchObject({
      samples: 1,
      seen: expected.seen,
      lastUnseen: expected.lastUnseen,
    });
    const [lag] = result.byBeat;
    expect(lag).toBeGreaterThanOrEqual(expected.lag[0] ?? 0);
    expect(lag).toBeLessThanOrEqual(expected.lag[1] ?? 0);
    // The observer is told the same lag, once.
    expect(h.lags).toEqual([{ sequence: 1, lagMs: lag }]);
    // Every poll is counted, the warm-up's included.
    expect(result.polls).toBe(h.polls.length);
    expect(result.last).toEqual(expect.objectContaining({ replayLsn: expect.any(String) }));
    expect(h.transactions.every((tx) => tx.sent.at(-1) === 'COMMIT')).toBe(true);
  });

  it('a heartbeat given up on before the primary said where its WAL ends is judged on the LSN it reports later', async () => {
    const h = harness({ maxLagMs: 2 });
    await h.poller.ready;
    const beat = h.beat(undefined);
    // As writeBeat does: the pollers have the heartbeat from its commit on, its LSN once the primary answers.
    beat.lsn = null;
    await advanceUntil(() => h.lags.length === 1);
    expect(h.poller.result.seen).toBe(0);
    beat.lsn = '0/5';
    h.poller.finish();
    await h.poller.done;
    expect(h.poller.result.lastUnseen?.lsn).toBe('0/5');
    // The replica received WAL up to 0/0 only: behind, not stuck.
    expect(windowFailures(undefined, h.poller.result, 2).map((f) => f.type)).toEqual([
      'replication-lag',
    ]);
  });

  it.each([
    { name: 'with no history: every ms', lags: [], secondPollAt: 1 },
    { name: 'after one heartbeat: 2 ms before its lag', lags: [30], secondPollAt: 28 },
    { name: 'after a late one: the earlier, lower lag', lags: [30, 300], secondPollAt: 28 },
    { name: 'the minimum of the last five', lags: [20, 30, 40, 50, 60], secondPollAt: 18 },
    { name: 'older lags forgotten', lags: [20, 30, 40, 50, 60, 70], secondPollAt: 28 },
  ])('polls a heartbeat first at once, then $name', async ({ lags, secondPollAt }) => {
    const h = harness();
    await h.poller.ready;
    for (const [index, lagMs] of lags.entries()) {
      h.beat(lagMs);
      await advanceUntil(() => h.poller.result.seen === index + 1);
      await vi.advanceTimersByTimeAsync(100);
    }
    const probe = h.beat(undefined);
    const pollsBefore = h.polls.length;
    await advanceUntil(() => h.polls.length >= pollsBefore + 2);
    const [first, second] = h.polls.slice(pollsBefore).map((at) => at - probe.committedAt);
    expect(first).toBe(0);
    expect(second).toBe(secondPollAt);
    h.poller.finish();
    await advanceUntil(() => h.lags.length === lags.length + 1);
    await h.poller.done;
  });

  it('renews its transaction: none takes heartbeats for longer than the query timeout', async () => {
    const h = harness({ queryTimeoutMs: 300, maxLagMs: 1000 });
    await h.poller.ready;
    // Every 100 ms a heartbeat the replica shows 150 ms later: one is always outstanding.
    for (let i = 0; i < 10; i++) {
      h.beat(150);
      await vi.advanceTimersByTimeAsync(100);
    }
    h.poller.finish();
    await advanceUntil(() => h.poller.result.seen === 10);
    await h.poller.done;
    expect(h.poller.result.byBeat).toEqual(Array(10).fill(150));
    // Heartbeats over 900 ms, each transaction taking those of 300 ms at most.
    expect(h.transactions.length).toBeGreaterThanOrEqual(3);
    expect(h.transactions.every((tx) => tx.sent.at(-1) === 'COMMIT')).toBe(true);
  });

  it('counts every heartbeat as unreachable when the replica answers no first poll', async () => {
    const h = harness();
    const refused = new DatabaseUnavailableError('replica', 'refused the connection', {
      endpoint: '10.0.0.7:5432',
    });
    h.refuse(refused);
    await h.poller.ready;
    h.beat(10);
    h.beat(10);
    await vi.advanceTimersByTimeAsync(100);
    h.poller.finish();
    await h.poller.done;
    expect(h.poller.result).toMatchObject({
      samples: 2,
      seen: 0,
      unreachable: 2,
      polls: 0,
      byBeat: [null, null],
      lastError: refused.message,
    });
    expect(h.transactions).toEqual([]);
  });

  it.each([
    { name: 'between two polls', during: 'gap' },
    { name: 'while a poll is out (a frozen replica)', during: 'poll' },
  ])(
    'counts the heartbeats outstanding as interrupted the moment the window is aborted $name',
    async ({ during }) => {
      const h = harness();
      await h.poller.ready;
      h.beat(20);
      await advanceUntil(() => h.poller.result.seen === 1);
      const release = during === 'poll' ? h.stall() : undefined;
      h.beat(undefined);
      await vi.advanceTimersByTimeAsync(50);
      h.controller.abort();
      expect(h.poller.result.interrupted).toBe(1);
      release?.();
      await vi.advanceTimersByTimeAsync(0);
      await h.poller.done;
      const polls = h.polls.length;
      await vi.advanceTimersByTimeAsync(1000);
      expect(h.polls.length).toBe(polls);
      expect(h.poller.result).toMatchObject({ samples: 2, seen: 1, interrupted: 1 });
      expect(h.poller.result.byBeat).toEqual([20, null]);
      expect(h.lags).toHaveLength(1);
    },
  );

  it.each([
    { name: 'while a poll is out', during: 'poll' },
    { name: 'between two polls', during: 'gap' },
  ])(
    'sends nothing more on a transaction whose connection closed $name, and goes on on a new one',
    async ({ during }) => {
      const h = harness();
      await h.poller.ready;
      const release = during === 'poll' ? h.stall() : undefined;
      h.beat(undefined);
      await vi.advanceTimersByTimeAsync(during === 'poll' ? 10 : 12);
      const [lost] = h.transactions;
      lost?.loseConnection();
      release?.();
      await vi.advanceTimersByTimeAsync(1000);
      expect(lost?.sentAfterClose).toEqual([]);
      expect(lost?.sent).not.toContain('COMMIT');
      expect(lost?.sent).not.toContain('ROLLBACK');
      expect(h.poller.result).toMatchObject({ samples: 1, unreachable: 1, seen: 0 });
      expect(h.poller.result.lastError).toBe('the replica 10.0.0.7:5432 closed the connection');
      // The next heartbeat is polled on a new transaction.
      h.beat(15);
      await advanceUntil(() => h.poller.result.seen === 1);
      h.poller.finish();
      await h.poller.done;
      expect(h.transactions.length).toBeGreaterThan(1);
      expect(h.poller.result.byBeat).toEqual([null, 15]);
    },
  );
});

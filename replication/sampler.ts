import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseClients, ReplicaEndpoint } from '../db/clients.js';
import { DatabaseUnavailableError } from '../db/errors.js';
import type { SeenRow } from '../db/heartbeatQueries.js';
import { isRetryable } from '../db/sqlState.js';
import type { Statement } from '../db/statements.js';
import { readOnly } from '../db/transaction.js';
import type { ReplicationEvent } from './reportSchema.js';

export interface SamplingSettings {
  /** The deployment's service name: one heartbeat row per prober. */
  prober: string;
  maxLagMs: number;
  queryTimeoutMs: number;
}

export interface Window {
  samples: number;
  intervalMs: number;
}

export interface Beat {
  index: number;
  sequence: number;
  /** performance.now() when the primary acknowledged the commit. */
  committedAt: number;
  /** The same moment as epoch ms, for the history. */
  at: number;
  /**
   * At or after the end of the heartbeat's commit record: read after the
   * commit, while the replicas are already polled for it, so null until the
   * primary answers, and for good if it could not.
   */
  lsn: string | null;
}

/** What a replica showed while it was polled: the last poll's answer. */
interface PolledState {
  replayLsn: string | null;
  receiveLsn: string | null;
  replayPaused: boolean;
  receiverStatus: string | null;
}

/** The lags a replica has a value for, in heartbeat order (what its percentiles are of). */
export const knownLags = (byBeat: (number | null)[]): number[] =>
  byBeat.filter((lag): lag is number => lag !== null);

export interface EndpointSamples {
  /** Heartbeats it was asked to show. */
  samples: number;
  /** Shown within the threshold. */
  seen: number;
  /**
   * One per heartbeat it was asked to show, in order: the lag of a seen one,
   * the time waited for an unseen one, null where it could not be checked.
   */
  byBeat: (number | null)[];
  /** Queries it was sent: the window's polling cost on this replica. */
  polls: number;
  /** Heartbeats that could not be checked: the replica was unreachable. */
  unreachable: number;
  /** Heartbeats still outstanding when the server began shutting down. */
  interrupted: number;
  lastError: string | undefined;
  first: PolledState | undefined;
  last: PolledState | undefined;
  /**
   * The newest heartbeat it did not show in time. Its lsn can arrive after
   * the replica was given up on (a threshold shorter than the primary's
   * answer), so it is read when the window is judged, not copied when the
   * heartbeat was missed.
   */
  lastUnseen: Pick<Beat, 'lsn'> | undefined;
}

/**
 * Told of a running window's figures as they are measured (the live page
 * charts them before the window ends). Optional; it must not throw.
 */
export interface WindowObserver {
  /** A heartbeat the primary acknowledged. */
  beat(beat: Beat): void;
  /** A replica's lag at a heartbeat, once settled: shown, or given up on at the threshold. */
  lag(endpoint: string, beat: Beat, lagMs: number): void;
}

export interface WindowResult {
  beats: Beat[];
  /** Heartbeats the primary could not take. */
  beatFailures: string[];
  events: ReplicationEvent[];
  endpoints: Map<string, EndpointSamples>;
}

/**
 * How long to wait before the next poll, given how long the oldest
 * outstanding heartbeat has waited and the lag the replica is expected to show. A
 * heartbeat is resolved to about a millisecond at any lag, at a bounded cost:
 * polls start a little before the expected moment and run every millisecond
 * around it; a heartbeat later than expected (or a replica with no history)
 * is polled with a gap that grows by 1/20 of the wait, never over
 * MAX_POLL_GAP_MS, so no heartbeat is ever read more than that late.
 */
export function nextPollDelayMs(waitedMs: number, expectedMs: number | undefined): number {
  if (expectedMs !== undefined) {
    const lead = Math.max(2, expectedMs * 0.01);
    if (waitedMs < expectedMs - lead) return expectedMs - lead - waitedMs;
    if (waitedMs < expectedMs + lead + TIGHT_POLLING_MS) return 1;
    return Math.min(MAX_POLL_GAP_MS, Math.max(1, (waitedMs - expectedMs) / 20));
  }
  return Math.min(MAX_POLL_GAP_MS, Math.max(1, waitedMs / 20));
}
const MAX_POLL_GAP_MS = 5;
const TIGHT_POLLING_MS = 8;

/** Never settles: what a transaction whose connection is lost waits on (see the poller's session). */
const ABANDONED = new Promise<never>(() => {});
/** postgres.js's TypeError for a query sent on a closed connection, under Drizzle's "Failed query" wrapper. */
const isTypeError = (error: unknown) =>
  error instanceof TypeError ||
  (error as { cause?: unknown } | undefined)?.cause instanceof TypeError;
const connectionLost = (error: unknown) => isTypeError(error) || isRetryable(error);

/**
 * The lags each replica endpoint showed last (the next window starts from
 * them too). The expectation is their minimum: lag has a floor and its
 * outliers are late ones, and one late reading must not make the next
 * heartbeat's polls start late.
 */
const recentLags = new WeakMap<PollTarget, number[]>();
const RECENT_LAGS = 5;
const expectedLag = (target: PollTarget) => {
  const lags = recentLags.get(target);
  return lags && lags.length > 0 ? Math.min(...lags) : undefined;
};

/** What a poller needs of an endpoint: its name and its sampling pool. */
export type PollTarget = Pick<ReplicaEndpoint, 'endpoint' | 'sampler'>;

interface Poller {
  add(beat: Beat): void;
  finish(): void;
  /** Settles once the replica has answered a first poll (or could not): before any heartbeat. */
  ready: Promise<void>;
  done: Promise<void>;
  result: EndpointSamples;
}

/**
 * Polls one replica for every heartbeat handed to it, on one connection (the
 * endpoint may balance over several replicas) holding a read-only
 * transaction that is open before the heartbeat commits, so the first poll
 * follows the commit with no round trip in between. A session takes new
 * heartbeats for up to `renewMs`, then ends (and the next begins) once it is
 * idle; its deadline is that plus the threshold and a query timeout, so a
 * frozen replica costs no more than that per heartbeat.
 */
export function createPoller(
  target: PollTarget,
  settings: SamplingSettings,
  signal: AbortSignal,
  observer: WindowObserver | undefined,
): Poller {
  const outstanding: Beat[] = [];
  const added: number[] = [];
  const byIndex = new Map<number, number>();
  const result: EndpointSamples = {
    samples: 0,
    seen: 0,
    byBeat: [],
    polls: 0,
    unreachable: 0,
    interrupted: 0,
    lastError: undefined,
    first: undefined,
    last: undefined,
    lastUnseen: undefined,
  };
  const renewMs = settings.queryTimeoutMs;
  let finished = false;
  const waiting = new Set<() => void>();
  const wake = () => {
    for (const resolve of waiting) resolve();
  };
  let sessionToken = 0;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const settle = (beat: Beat, lag: number, seen: boolean) => {
    outstanding.splice(outstanding.indexOf(beat), 1);
    byIndex.set(beat.index, lag);
    observer?.lag(target.endpoint, beat, lag);
    if (seen) {
      result.seen++;
      const lags = recentLags.get(target) ?? [];
      lags.push(lag);
      if (lags.length > RECENT_LAGS) lags.shift();
      recentLags.set(target, lags);
    } else result.lastUnseen = beat;
  };
  /** Sleeps up to `ms`; a new heartbeat, the window's end or shutdown wakes it. */
  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      }
      waiting.add(done);
    });

  async function session(): Promise<void> {
    const token = ++sessionToken;
    const acceptUntil = performance.now() + renewMs;
    const taken = new Set<Beat>();
    const takeNew = () => {
      if (performance.now() < acceptUntil) for (const beat of outstanding) taken.add(beat);
    };
    // postgres.js rejects the transaction as soon as its connection closes
    // (a replica restarting, a pool retired by the deadline), but anything sent
    // on it afterwards, our poll or its own COMMIT or ROLLBACK when the
    // callback settles, throws from inside its write timer, outside any
    // promise: an uncaught TypeError that fails whichever request is running.
    // So once the connection is lost no poll is sent, and the callback never
    // settles: the session is over (the rejected transaction says so), and
    // what stays is this one abandoned callback.
    const connection = { closed: false };
    try {
      await target.sampler.query(
        (pool) => {
          // The poll, prepared once per pool, bound to this transaction's connection.
          const running = readOnly(pool, async ({ seen }) => {
            try {
              await polling(seen);
            } catch (error) {
              if (!connection.closed && !connectionLost(error)) throw error;
              connection.closed = true;
            }
            if (connection.closed) await ABANDONED;
          });
          async function polling(seen: Statement<SeenRow>): Promise<void> {
            for (;;) {
              if (token !== sessionToken || signal.aborted || connection.closed) return;
              takeNew();
              if (!outstanding.some((beat) => taken.has(beat))) {
                if (result.polls === 0) {
                  await pollOnce(seen, token, connection);
                  continue;
                }
                // Idle: newer heartbeats go to the next session; an aged transaction is renewed.
                if (outstanding.length > 0 || finished || performance.now() >= acceptUntil) return;
                await idle(acceptUntil - performance.now());
                continue;
              }
              await pollOnce(seen, token, connection);
              const still = outstanding.filter((beat) => taken.has(beat));
              if (still.length === 0) continue;
              const oldest = Math.min(...still.map((beat) => beat.committedAt));
              const gap = nextPollDelayMs(performance.now() - oldest, expectedLag(target));
              // A transaction never sits idle for long: under half the query timeout.
              await idle(Math.min(gap, settings.queryTimeoutMs / 2));
            }
          }
          running.catch(() => {
            connection.closed = true;
          });
          return running;
        },
        { timeoutMs: renewMs + settings.maxLagMs + settings.queryTimeoutMs },
      );
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      sessionToken++; // the abandoned transaction must not settle anything
      result.lastError = error.message;
      // Every heartbeat waiting now waited on this connection or on its attempt.
      result.unreachable += outstanding.splice(0).length;
    } finally {
      markReady();
    }
  }

  async function pollOnce(
    seen: Statement<SeenRow>,
    token: number,
    connection: { closed: boolean },
  ): Promise<void> {
    const gone = (cause?: unknown) =>
      new DatabaseUnavailableError('replica', 'closed the connection', {
        cause,
        endpoint: target.endpoint,
      });
    if (connection.closed) throw gone();
    const [row] = await seen.execute({ prober: settings.prober }).catch((error: unknown) => {
      if (isTypeError(error)) throw gone(error);
      throw error;
    });
    const now = performance.now();
    result.polls++;
    markReady();
    if (token !== sessionToken || !row) return;
    const state = {
      replayLsn: row.replayLsn,
      receiveLsn: row.receiveLsn,
      replayPaused: row.replayPaused,
      receiverStatus: row.receiverStatus,
    };
    result.first ??= state;
    result.last = state;
    const shown = Number(row.sequence ?? 0);
    for (const beat of [...outstanding]) {
      const waited = now - beat.committedAt;
      // Shown, but only after the threshold (a stalled poll): that is lag too.
      if (waited >= settings.maxLagMs) settle(beat, waited, false);
      else if (beat.sequence <= shown) settle(beat, waited, true);
    }
  }

  /** Could not answer a first poll: not polled in this window (its heartbeats count as unreachable). */
  const unreachableBeforeWindow = () => result.polls === 0 && result.lastError !== undefined;

  const done = (async () => {
    for (;;) {
      // A server that is shutting down answers at once: what is still
      // outstanding was interrupted, neither seen nor lag.
      if (signal.aborted) {
        result.interrupted += outstanding.splice(0).length;
        // Aborted before a first poll (the caller left while the topology was
        // read): the window must not wait for one.
        markReady();
        break;
      }
      if (finished && outstanding.length === 0) break;
      if (unreachableBeforeWindow()) await idle(60_000);
      else await session();
    }
    result.byBeat = added.map((index) => byIndex.get(index) ?? null);
  })();
  // Rethrown by the window once it has ended: never an unhandled rejection meanwhile.
  done.catch(() => {});
  const onAbort = () => {
    sessionToken++;
    result.interrupted += outstanding.splice(0).length;
    wake();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  done.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => {});

  return {
    add(beat) {
      if (unreachableBeforeWindow()) {
        added.push(beat.index);
        result.samples++;
        result.unreachable++;
        return;
      }
      outstanding.push(beat);
      added.push(beat.index);
      result.samples++;
      wake();
    },
    finish() {
      finished = true;
      wake();
    },
    ready,
    done,
    result,
  };
}

/**
 * Writes one heartbeat. The pollers get it the moment the primary
 * acknowledges the commit; its LSN (a position at or after the end of the
 * commit record, which replay must pass) is read after that, while they poll.
 */
async function writeBeat(
  db: DatabaseClients,
  prober: string,
  index: number,
  onCommitted: (beat: Beat) => void,
) {
  return db.primary.query(async ({ queries }) => {
    const [row] = await queries.beat.execute({ prober });
    const committedAt = performance.now();
    if (!row) throw new Error('the heartbeat upsert returned no row');
    const beat: Beat = {
      index,
      sequence: Number(row.sequence),
      committedAt,
      at: Date.now(),
      lsn: null,
    };
    onCommitted(beat);
    const [position] = await queries.walInsertLsn.execute();
    beat.lsn = position?.lsn ?? null;
    return { beat, row };
  });
}

function failoverEvent(
  row: Awaited<ReturnType<typeof writeBeat>>['row'],
): ReplicationEvent | undefined {
  const { previousSystemIdentifier: wasId, previousTimeline: wasTimeline } = row;
  if (wasId === null || wasTimeline === null) return undefined;
  if (wasId !== row.systemIdentifier) {
    return {
      type: 'failover',
      detail: `another cluster is the primary now: system_identifier ${wasId} → ${row.systemIdentifier}`,
    };
  }
  if (wasTimeline !== row.timeline) {
    return {
      type: 'failover',
      detail: `the primary moved to timeline ${row.timeline} (was ${wasTimeline}) since the previous heartbeat`,
    };
  }
  return undefined;
}

/**
 * The sampling window: one heartbeat on the primary every `intervalMs`,
 * `samples` times, each polled for on every replica at once. Heartbeats are
 * due on a fixed schedule; one the primary cannot take, or that falls due
 * while the previous is still being written, is counted and the window goes
 * on. It ends when every replica has shown or given up on the last
 * heartbeat: at most maxLagMs + queryTimeoutMs after it.
 */
export async function sampleWindow(
  db: DatabaseClients,
  replicas: ReplicaEndpoint[],
  settings: SamplingSettings,
  window: Window,
  signal: AbortSignal,
  observer?: WindowObserver,
): Promise<WindowResult> {
  const pollers = new Map(
    replicas.map((replica) => [
      replica.endpoint,
      createPoller(replica, settings, signal, observer),
    ]),
  );
  const result: WindowResult = { beats: [], beatFailures: [], events: [], endpoints: new Map() };
  // Every replica has answered a first poll on an open transaction before the
  // first heartbeat: connecting is never counted as lag.
  await Promise.all([...pollers.values()].map((poller) => poller.ready));
  const start = performance.now();
  let writing: Promise<void> | undefined;
  let unexpected: unknown;
  const write = async (index: number) => {
    try {
      const { row } = await writeBeat(db, settings.prober, index, (beat) => {
        result.beats.push(beat);
        observer?.beat(beat);
        for (const poller of pollers.values()) poller.add(beat);
      });
      const event = failoverEvent(row);
      if (event && !result.events.some((seen) => seen.detail === event.detail)) {
        result.events.push(event);
      }
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) result.beatFailures.push(error.message);
      else unexpected ??= error;
    } finally {
      writing = undefined;
    }
  };
  try {
    for (let index = 0; index < window.samples && !signal.aborted; index++) {
      const wait = start + index * window.intervalMs - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {});
      if (signal.aborted) break;
      // A slow primary never stretches the window: a heartbeat still being
      // written when the next is due takes its place; the slot is lost.
      if (writing) {
        result.beatFailures.push(
          `heartbeat ${index + 1} skipped: the previous one was still being written`,
        );
        continue;
      }
      writing = write(index);
    }
    await writing;
    if (unexpected) throw unexpected;
  } finally {
    for (const poller of pollers.values()) poller.finish();
    await Promise.all([...pollers.values()].map((poller) => poller.done));
  }
  for (const [endpoint, poller] of pollers) result.endpoints.set(endpoint, poller.result);
  return result;
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseClients, ReplicaEndpoint } from '../db/clients.js';
import { DatabaseUnavailableError } from '../db/errors.js';
import { beatQuery, seenQuery } from '../db/heartbeatQueries.js';
import { drizzleOnTransaction } from '../db/transactionDrizzle.js';
import type { ReplicationEvent } from './failures.js';

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
  /** At or after the end of the heartbeat's commit record. */
  lsn: string;
}

/** What a replica showed while it was polled: the last poll's answer. */
export interface PolledState {
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
  /** Heartbeats that could not be checked: the replica was unreachable. */
  unreachable: number;
  /** Heartbeats still outstanding when the server began shutting down. */
  interrupted: number;
  lastError: string | undefined;
  first: PolledState | undefined;
  last: PolledState | undefined;
  /** The primary LSN of the newest heartbeat it did not show in time. */
  unseenLsn: string | undefined;
}

export interface WindowResult {
  beats: Beat[];
  /** Heartbeats the primary could not take. */
  beatFailures: string[];
  events: ReplicationEvent[];
  endpoints: Map<string, EndpointSamples>;
}

// Poll fast while the lag is small, so that a healthy replica is measured to
// the millisecond; back off as the wait grows (1/20 of it, at most 50 ms).
const pollIntervalMs = (waitedMs: number) => Math.min(50, Math.max(1, waitedMs / 20));

interface Poller {
  add(beat: Beat): void;
  finish(): void;
  done: Promise<void>;
  result: EndpointSamples;
}

/**
 * Polls one replica for every heartbeat handed to it. Heartbeats outstanding
 * together are polled in one read-only transaction (one connection: the
 * endpoint may balance over several replicas), bounded by the newest one's
 * threshold plus a query timeout, so a frozen replica costs no more than that.
 */
function createPoller(
  target: ReplicaEndpoint,
  settings: SamplingSettings,
  signal: AbortSignal,
): Poller {
  const outstanding: Beat[] = [];
  const added: number[] = [];
  const byIndex = new Map<number, number>();
  const result: EndpointSamples = {
    samples: 0,
    seen: 0,
    byBeat: [],
    unreachable: 0,
    interrupted: 0,
    lastError: undefined,
    first: undefined,
    last: undefined,
    unseenLsn: undefined,
  };
  let finished = false;
  let wake: (() => void) | undefined;
  let burstToken = 0;

  const settle = (beat: Beat, lag: number, seen: boolean) => {
    outstanding.splice(outstanding.indexOf(beat), 1);
    byIndex.set(beat.index, lag);
    if (seen) result.seen++;
    else result.unseenLsn = beat.lsn;
  };

  async function burst(batch: Beat[]): Promise<void> {
    const token = ++burstToken;
    const expiresAt = Math.max(...batch.map((beat) => beat.committedAt + settings.maxLagMs));
    const timeoutMs = Math.max(0, expiresAt - performance.now()) + settings.queryTimeoutMs;
    try {
      await target.sampler.query(
        ({ sql }) =>
          sql.begin('read only', async (transaction) => {
            const seen = seenQuery(drizzleOnTransaction(sql, transaction));
            while (token === burstToken && !signal.aborted) {
              const [row] = await seen.execute({ prober: settings.prober });
              const now = performance.now();
              if (token !== burstToken || !row) return;
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
              if (batch.every((beat) => !outstanding.includes(beat))) return;
              const oldest = Math.min(...outstanding.map((beat) => beat.committedAt));
              await sleep(pollIntervalMs(now - oldest));
            }
          }),
        { timeoutMs },
      );
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      burstToken++; // the abandoned transaction must not settle anything
      result.lastError = error.message;
      for (const beat of batch) {
        if (!outstanding.includes(beat)) continue;
        outstanding.splice(outstanding.indexOf(beat), 1);
        result.unreachable++;
      }
    }
  }

  const done = (async () => {
    for (;;) {
      // A server that is shutting down answers at once: what is still
      // outstanding was interrupted, neither seen nor lag.
      if (signal.aborted) result.interrupted += outstanding.splice(0).length;
      if (outstanding.length > 0) {
        await burst([...outstanding]);
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    result.byBeat = added.map((index) => byIndex.get(index) ?? null);
  })();
  // Rethrown by the window once it has ended: never an unhandled rejection meanwhile.
  done.catch(() => {});
  signal.addEventListener('abort', () => {
    burstToken++;
    result.interrupted += outstanding.splice(0).length;
    wake?.();
  });

  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    add(beat) {
      outstanding.push(beat);
      added.push(beat.index);
      result.samples++;
      notify();
    },
    finish() {
      finished = true;
      notify();
    },
    done,
    result,
  };
}

async function writeBeat(db: DatabaseClients, prober: string, index: number) {
  return db.primary.query(async ({ db: orm, queries }) => {
    const [row] = await beatQuery(orm).execute({ prober });
    const committedAt = performance.now();
    const [position] = await queries.walInsertLsn.execute();
    if (!row) throw new Error('the heartbeat upsert returned no row');
    return {
      beat: {
        index,
        sequence: Number(row.sequence),
        committedAt,
        at: Date.now(),
        lsn: position?.lsn ?? '',
      },
      row,
    };
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
): Promise<WindowResult> {
  const pollers = new Map(
    replicas.map((replica) => [replica.endpoint, createPoller(replica, settings, signal)]),
  );
  const result: WindowResult = { beats: [], beatFailures: [], events: [], endpoints: new Map() };
  const start = performance.now();
  let writing: Promise<void> | undefined;
  let unexpected: unknown;
  const write = async (index: number) => {
    try {
      const { beat, row } = await writeBeat(db, settings.prober, index);
      result.beats.push(beat);
      for (const poller of pollers.values()) poller.add(beat);
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

import { CALLER_WINDOWS, type DatabaseClients, MAX_WINDOWS } from '../db/clients.js';
import type { RunningWindow } from './reportSchema.js';
import type { Beat, Window, WindowObserver } from './sampler.js';

/**
 * Who started a window. `scheduled`: the replicationCheck target, which only
 * Cloud Scheduler can invoke (Cloud Run IAM); its windows are what the live
 * page's history is made of. `caller`: the api target's POST
 * /replication_check, Basic auth, anyone holding the credentials.
 */
export type WindowKind = RunningWindow['kind'];

interface Lease {
  /** Feeds the running window's figures; give it to the check. */
  observer: WindowObserver;
  /** Frees the slot and forgets the running window: once, when the window has ended. */
  release(): void;
}

interface Registry {
  running: Set<RunningWindow>;
}

// One per set of clients: the slots are the endpoints' sampler connections.
const registries = new WeakMap<DatabaseClients, Registry>();

function registryOf(db: DatabaseClients): Registry {
  let registry = registries.get(db);
  if (!registry) {
    registry = { running: new Set() };
    registries.set(db, registry);
  }
  return registry;
}

/** How many windows of a kind may run at once in this process. */
export const windowLimit = (kind: WindowKind) => (kind === 'caller' ? CALLER_WINDOWS : MAX_WINDOWS);

/**
 * Takes a window slot, or none (undefined: answer 503 windows-busy). Callers
 * take at most CALLER_WINDOWS, so that the other SCHEDULED_WINDOWS of the
 * MAX_WINDOWS are always free for the scheduled prober; scheduled windows may
 * take any free one.
 */
export function acquireWindow(
  db: DatabaseClients,
  kind: WindowKind,
  prober: string,
  window: Window,
): Lease | undefined {
  const { running } = registryOf(db);
  const callers = [...running].filter((w) => w.kind === 'caller').length;
  if (running.size >= MAX_WINDOWS || (kind === 'caller' && callers >= CALLER_WINDOWS)) {
    return undefined;
  }
  const state: RunningWindow = {
    kind,
    prober,
    started_at: new Date().toISOString(),
    samples: window.samples,
    interval_ms: window.intervalMs,
    beats_at: [],
    replicas: db.endpoints.map(({ endpoint }) => ({ endpoint, lags: [] })),
  };
  // Heartbeat index (the schedule's) → position in beats_at (skipped ones have none).
  const positions = new Map<number, number>();
  running.add(state);
  return {
    observer: {
      beat(beat: Beat) {
        positions.set(beat.index, state.beats_at.length);
        state.beats_at.push(beat.at);
        for (const replica of state.replicas) replica.lags.push(null);
      },
      lag(endpoint: string, beat: Beat, lagMs: number) {
        const position = positions.get(beat.index);
        const replica = state.replicas.find((r) => r.endpoint === endpoint);
        if (position !== undefined && replica) replica.lags[position] = lagMs;
      },
    },
    release() {
      running.delete(state);
    },
  };
}

/** The windows running in this process now, oldest first: at most MAX_WINDOWS. */
export function runningWindows(db: DatabaseClients): RunningWindow[] {
  return [...registryOf(db).running];
}

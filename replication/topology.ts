import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseClients, ReplicaEndpoint } from '../db/clients.js';
import { DatabaseUnavailableError } from '../db/errors.js';
import { lsnToBytes } from '../db/lsn.js';
import type { HostFacts, SlotRow, StandbyRow, WalReceiverRow } from '../db/replicationQueries.js';
import { readOnly } from '../db/transaction.js';

export interface Beats {
  /** Latest heartbeat sequence per prober, as this host sees it. */
  sequences: Map<string, number>;
  /** On the primary: how old each prober's latest heartbeat is, in ms. */
  ageMs: Map<string, number>;
}

export interface PrimaryView {
  facts: HostFacts;
  standbys: StandbyRow[];
  slots: SlotRow[];
  beats: Beats;
}

export interface EndpointView {
  endpoint: string;
  facts: HostFacts | undefined;
  walReceiver: WalReceiverRow | null;
  beats: Beats | undefined;
  /** Why it could not be read, when it could not. */
  unreachable: DatabaseUnavailableError | undefined;
}

export interface Topology {
  primary: PrimaryView | undefined;
  primaryUnreachable: DatabaseUnavailableError | undefined;
  endpoints: EndpointView[];
}

function toBeats(rows: { prober: string; sequence: number | null; ageMs: number }[]): Beats {
  return {
    sequences: new Map(rows.map((row) => [row.prober, Number(row.sequence)])),
    ageMs: new Map(rows.map((row) => [row.prober, row.ageMs])),
  };
}

async function readPrimary(db: DatabaseClients): Promise<PrimaryView> {
  return db.primary.query(
    async ({ queries }) => {
      const [facts] = await queries.hostFacts.execute();
      if (!facts) throw new Error('no facts from the primary');
      const primary = !facts.in_recovery;
      return {
        facts,
        standbys: primary ? await queries.standbys.execute() : [],
        slots: primary ? await queries.replicationSlots.execute() : [],
        beats: toBeats(await queries.latestBeats.execute()),
      };
    },
    { idempotent: true },
  );
}

/**
 * One replica, read directly. One transaction, so one connection: an endpoint
 * may be a read service balancing over several replicas, and the facts, the
 * WAL receiver and the heartbeats must come from the same one.
 */
export async function readEndpoint({ endpoint, client }: ReplicaEndpoint): Promise<EndpointView> {
  try {
    const read = await client.query(
      (pool) =>
        readOnly(pool, async (queries) => {
          const [facts] = await queries.hostFacts.execute();
          if (!facts) throw new Error(`no facts from ${endpoint}`);
          const [receiver] = facts.in_recovery ? await queries.walReceiver.execute() : [];
          // A server of another cluster may not have the table at all.
          const beats = facts.has_heartbeats ? await queries.latestBeats.execute() : [];
          return { facts, walReceiver: receiver ?? null, beats: toBeats(beats) };
        }),
      { idempotent: true },
    );
    return { endpoint, ...read, unreachable: undefined };
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    return { endpoint, facts: undefined, walReceiver: null, beats: undefined, unreachable: error };
  }
}

/**
 * The primary's pg_stat_replication once every standby it lists (but those
 * ignored) has replayed past `beat`, or `maxLagMs` after it: a standby no
 * endpoint verifies is judged on the primary's figures, and these must not be
 * read before its reply to the last heartbeat could arrive.
 */
export async function readPrimaryStandbys(
  db: DatabaseClients,
  settings: { maxLagMs: number; ignoredStandbys: readonly string[] },
  beat: { committedAt: number; lsn: string | null },
  signal: AbortSignal,
): Promise<StandbyRow[]> {
  const until = beat.committedAt + settings.maxLagMs;
  for (;;) {
    const rows = await db.primary.query(({ queries }) => queries.standbys.execute(), {
      idempotent: true,
    });
    const behind = rows.filter(
      (row) =>
        !settings.ignoredStandbys.includes(row.application_name) &&
        // Where the heartbeat's WAL ends unknown: every standby may still reply.
        (beat.lsn === null ||
          row.replay_lsn === null ||
          lsnToBytes(row.replay_lsn) < lsnToBytes(beat.lsn)),
    );
    if (behind.length === 0 || performance.now() >= until || signal.aborted) return rows;
    await sleep(Math.min(10, Math.max(1, until - performance.now())));
  }
}

/** The primary and every replica endpoint, read at once, without writing. */
export async function readTopology(db: DatabaseClients): Promise<Topology> {
  const [primary, endpoints] = await Promise.all([
    readPrimary(db).then(
      (view) => ({ view, error: undefined }),
      (error: unknown) => {
        if (!(error instanceof DatabaseUnavailableError)) throw error;
        return { view: undefined, error };
      },
    ),
    Promise.all(db.endpoints.map(readEndpoint)),
  ]);
  return { primary: primary.view, primaryUnreachable: primary.error, endpoints };
}

import type { Sql } from 'postgres';
import type { DatabaseClients } from '../db/clients.js';
import { DatabaseUnavailableError } from '../db/errors.js';
import {
  type HostFacts,
  hostFacts,
  replicationSlots,
  type SlotRow,
  type StandbyRow,
  standbys,
  type WalReceiverRow,
  walReceiver,
} from '../db/replicationQueries.js';
import type { Failure } from './failures.js';

export interface PrimaryView {
  facts: HostFacts;
  standbys: StandbyRow[];
  slots: SlotRow[];
}

export interface ReplicaView {
  facts: HostFacts;
  walReceiver: WalReceiverRow | null;
}

export interface Topology {
  primary: PrimaryView | undefined;
  replica: ReplicaView | undefined;
  failures: Failure[];
  synchronousStandby: { expected: boolean; present: boolean };
}

async function reachable<T>(
  read: () => Promise<T>,
  type: 'primary-unreachable' | 'replica-unreachable',
  failures: Failure[],
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    failures.push({ type, detail: error.message });
    return undefined;
  }
}

// With synchronous_commit above local and a synchronous standby named, a
// commit waits for that standby: without one it hangs.
function synchronousStandby(primary: PrimaryView | undefined) {
  const names = primary?.facts.synchronous_standby_names.trim() ?? '';
  const commit = primary?.facts.synchronous_commit ?? 'off';
  const expected = names !== '' && commit !== 'off' && commit !== 'local';
  const present = (primary?.standbys ?? []).some(
    (s) => s.sync_state === 'sync' || s.sync_state === 'quorum',
  );
  return { expected, present };
}

/**
 * Reads both hosts at once, without writing, and names everything wrong
 * with the pair that a write would not tell: roles, cluster identity,
 * timelines, the synchronous standby and the number of streaming standbys.
 */
export async function readTopology(
  db: DatabaseClients,
  expectedStandbys: number,
): Promise<Topology> {
  const failures: Failure[] = [];
  const [primary, replica] = await Promise.all([
    reachable(
      () =>
        db.primary.query(
          async ({ sql }) => {
            const [facts] = await hostFacts(sql);
            if (!facts) throw new Error('no facts from the primary');
            const inRecovery = facts.in_recovery;
            return {
              facts,
              standbys: inRecovery ? [] : await standbys(sql),
              slots: inRecovery ? [] : await replicationSlots(sql),
            };
          },
          { idempotent: true },
        ),
      'primary-unreachable',
      failures,
    ),
    reachable(
      () =>
        db.replica.query(
          ({ sql }) =>
            // One transaction, so one connection: behind a read service the
            // facts and the WAL receiver must come from the same replica.
            sql.begin('read only', async (transaction) => {
              const onOne = transaction as unknown as Sql;
              const [facts] = await hostFacts(onOne);
              if (!facts) throw new Error('no facts from the replica');
              const [receiver] = facts.in_recovery ? await walReceiver(onOne) : [];
              return { facts, walReceiver: receiver ?? null };
            }),
          { idempotent: true },
        ),
      'replica-unreachable',
      failures,
    ),
  ]);

  if (primary?.facts.in_recovery) {
    failures.push({
      type: 'primary-in-recovery',
      detail: 'the primary is in recovery: it is a standby, not a primary',
    });
  }
  if (replica && !replica.facts.in_recovery) {
    failures.push({
      type: 'replica-not-standby',
      detail: 'the replica is not in recovery: it was promoted or is a second primary',
    });
  }
  if (primary && replica) {
    if (primary.facts.system_identifier !== replica.facts.system_identifier) {
      failures.push({
        type: 'different-cluster',
        detail: `the replica belongs to another cluster (system_identifier ${replica.facts.system_identifier}, primary ${primary.facts.system_identifier})`,
      });
    } else if (primary.facts.timeline !== replica.facts.timeline) {
      failures.push({
        type: 'timeline-mismatch',
        detail: `the replica is on timeline ${replica.facts.timeline}, the primary on ${primary.facts.timeline}`,
      });
    }
  }
  const sync = synchronousStandby(primary);
  if (sync.expected && !sync.present) {
    failures.push({
      type: 'synchronous-standby-missing',
      detail: `synchronous_standby_names is '${primary?.facts.synchronous_standby_names}' but no standby is synchronous: commits would hang`,
    });
  }
  if (primary && !primary.facts.in_recovery) {
    const streaming = primary.standbys.filter((s) => s.state === 'streaming').length;
    if (streaming < expectedStandbys) {
      failures.push({
        type: 'standbys-missing',
        detail: `${streaming} standby(s) streaming from the primary, ${expectedStandbys} expected`,
      });
    }
  }
  return { primary, replica, failures, synchronousStandby: sync };
}

import type { StandbyRow } from '../db/replicationQueries.js';
import type { Failure } from './failures.js';
import { slotFailures } from './slots.js';
import type { EndpointView, PrimaryView, Topology } from './topology.js';

export interface Assessment {
  endpoint: string;
  /** `primary`: this endpoint reaches the primary itself (after a failover); it is not verified as a replica. */
  role: 'replica' | 'primary' | 'unknown';
  /** The primary's pg_stat_replication row for this standby, where it can be matched. */
  standby: StandbyRow | undefined;
  /** What the endpoint's own facts say is wrong, without the endpoint field. */
  failures: Omit<Failure, 'endpoint'>[];
  /** Can it show a heartbeat at all: a reachable standby of this cluster, on its timeline. */
  verifiable: boolean;
}

/**
 * The standby's row among the primary's: by its replication slot, else by a
 * unique application_name (a standby still connecting shows no slot yet).
 */
export function matchStandby(view: EndpointView, standbys: StandbyRow[]): StandbyRow | undefined {
  const receiver = view.walReceiver;
  if (!receiver) return undefined;
  const bySlot = receiver.slot_name
    ? standbys.find((standby) => standby.slot_name === receiver.slot_name)
    : undefined;
  if (bySlot) return bySlot;
  const byName = standbys.filter(
    (standby) => standby.application_name === receiver.application_name,
  );
  return byName.length === 1 ? byName[0] : undefined;
}

export function assessEndpoint(view: EndpointView, primary: PrimaryView | undefined): Assessment {
  const { endpoint, facts } = view;
  const assessment: Assessment = {
    endpoint,
    role: 'unknown',
    standby: undefined,
    failures: [],
    verifiable: false,
  };
  if (!facts) {
    assessment.failures.push({
      type: 'replica-unreachable',
      detail: view.unreachable?.message ?? `${endpoint} could not be read`,
    });
    return assessment;
  }
  const samePrimary =
    primary !== undefined &&
    facts.server_identity === primary.facts.server_identity &&
    facts.system_identifier === primary.facts.system_identifier;
  if (!facts.in_recovery && samePrimary) return { ...assessment, role: 'primary' };
  assessment.role = 'replica';
  assessment.standby = matchStandby(view, primary?.standbys ?? []);
  const sameCluster = facts.system_identifier === primary?.facts.system_identifier;
  if (primary && !sameCluster) {
    assessment.failures.push({
      type: 'different-cluster',
      detail: `${endpoint} belongs to another cluster (system_identifier ${facts.system_identifier}, primary ${primary.facts.system_identifier})`,
    });
  }
  if (!facts.in_recovery) {
    assessment.failures.push({
      type: 'replica-not-standby',
      detail: `${endpoint} is not in recovery: it was promoted or is a second primary`,
    });
  }
  if (primary && sameCluster && facts.timeline !== primary.facts.timeline) {
    assessment.failures.push({
      type: 'timeline-mismatch',
      detail: `${endpoint} is on timeline ${facts.timeline}, the primary on ${primary.facts.timeline}`,
    });
  }
  if (assessment.failures.length > 0) return assessment;
  assessment.verifiable = true;
  if (view.walReceiver?.status !== 'streaming') {
    assessment.failures.push({
      type: 'replica-not-receiving',
      detail: `${endpoint} is not receiving WAL: its WAL receiver is ${view.walReceiver?.status ?? 'not running'}`,
    });
  }
  if (facts.replay_paused) {
    assessment.failures.push({
      type: 'replica-not-replaying',
      detail: `${endpoint} has paused WAL replay`,
    });
  }
  return assessment;
}

// With synchronous_commit above local and a synchronous standby named, a
// commit waits for that standby: without one it hangs.
export function synchronousStandby(primary: PrimaryView | undefined) {
  const names = primary?.facts.synchronous_standby_names.trim() ?? '';
  const commit = primary?.facts.synchronous_commit ?? 'off';
  const expected = names !== '' && commit !== 'off' && commit !== 'local';
  const present = (primary?.standbys ?? []).some(
    (s) => s.sync_state === 'sync' || s.sync_state === 'quorum',
  );
  return { expected, present };
}

export interface Settings {
  expectedStandbys: number;
  ignoredStandbys: readonly string[];
  maxSlotRetainedBytes: number;
}

/** What is wrong with the primary and the cluster as a whole (not with one replica). */
export function clusterFailures(topology: Topology, settings: Settings): Failure[] {
  const { primary } = topology;
  const failures: Failure[] = [];
  if (!primary) {
    failures.push({
      type: 'primary-unreachable',
      detail: topology.primaryUnreachable?.message ?? 'the primary could not be read',
    });
    return failures;
  }
  if (primary.facts.in_recovery) {
    failures.push({
      type: 'primary-in-recovery',
      detail: 'the primary is in recovery: it is a standby, not a primary',
    });
    return failures;
  }
  const sync = synchronousStandby(primary);
  if (sync.expected && !sync.present) {
    failures.push({
      type: 'synchronous-standby-missing',
      detail: `synchronous_standby_names is '${primary.facts.synchronous_standby_names}' but no standby is synchronous: commits would hang`,
    });
  }
  const streaming = primary.standbys.filter(
    (s) => s.state === 'streaming' && !settings.ignoredStandbys.includes(s.application_name),
  ).length;
  if (streaming < settings.expectedStandbys) {
    failures.push({
      type: 'standbys-missing',
      detail: `${streaming} standby(s) streaming from the primary, ${settings.expectedStandbys} expected`,
    });
  }
  failures.push(...slotFailures(primary.slots, settings.maxSlotRetainedBytes));
  return failures;
}

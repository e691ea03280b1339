import { lsnDiffBytes, lsnToBytes } from '../db/lsn.js';
import type { SlotRow, StandbyRow } from '../db/replicationQueries.js';
import {
  byImportance,
  type Failure,
  type FailureType,
  type ReplicaFailure,
  type Role,
} from './reportSchema.js';
import type { EndpointSamples, WindowResult } from './sampler.js';
import { matchStandby, standbyFailures, verifiedStandbys } from './standbys.js';
import type { EndpointView, PrimaryView, Topology } from './topology.js';

// Every failure rule, from facts: of one replica endpoint, of a sampling
// window, of the primary and the cluster, of the standbys the primary reports
// (standbys.ts). `assess` applies them for the check and for the health; each
// failure's wording is written once, here or in standbys.ts.

const notReceiving = (endpoint: string, receiverStatus: string | null | undefined) => ({
  type: 'replica-not-receiving' as const,
  detail: `${endpoint} is not receiving WAL: its WAL receiver is ${receiverStatus ?? 'not running'}`,
});
const replayPaused = (endpoint: string) => ({
  type: 'replica-not-replaying' as const,
  detail: `${endpoint} has paused WAL replay`,
});

export interface Assessment {
  endpoint: string;
  /** `primary`: this endpoint reaches the primary itself (after a failover); it is not verified as a replica. */
  role: Role;
  /** The primary's pg_stat_replication row for this standby, where it can be matched. */
  standby: StandbyRow | undefined;
  /** What the endpoint's own facts say is wrong, without the endpoint field. */
  failures: ReplicaFailure[];
  /** Can it show a heartbeat at all: a reachable standby of this cluster, on its timeline. */
  verifiable: boolean;
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
  if (view.walReceiver?.status !== 'streaming')
    assessment.failures.push(notReceiving(endpoint, view.walReceiver?.status));
  if (facts.replay_paused) assessment.failures.push(replayPaused(endpoint));
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

/**
 * Replication slots that break replication or threaten the primary: a slot
 * whose WAL is gone (`lost`) or about to go (`unreserved`), and an inactive
 * slot holding back more WAL than allowed (it fills the primary's disk).
 */
export function slotFailures(slots: SlotRow[], maxRetainedBytes: number): Failure[] {
  const failures: Failure[] = [];
  for (const slot of slots) {
    if (slot.wal_status === 'lost' || slot.wal_status === 'unreserved') {
      failures.push({
        type: 'slot-lost',
        detail: `replication slot ${slot.slot_name} is ${slot.wal_status}: the WAL its standby needs is ${slot.wal_status === 'lost' ? 'gone' : 'about to be removed'}`,
      });
    }
    const retained = slot.retained_wal_bytes ?? 0;
    if (!slot.active && retained > maxRetainedBytes) {
      failures.push({
        type: 'slot-retention',
        detail: `inactive replication slot ${slot.slot_name} retains ${retained} bytes of WAL (limit ${maxRetainedBytes})`,
      });
    }
  }
  return failures;
}

/** Failures that forbid a heartbeat: a write would hang or mislead. */
const WRITE_BLOCKERS = new Set<FailureType>([
  'primary-unreachable',
  'primary-in-recovery',
  'synchronous-standby-missing',
]);

export const writeBlockers = (topology: Topology, settings: Settings) =>
  clusterFailures(topology, settings).filter((failure) => WRITE_BLOCKERS.has(failure.type));

// What a load balancer or uptime check needs to know, without writing: the
// standby and synchronous-standby counts belong to the replication check.
const CHECK_ONLY = new Set<FailureType>(['synchronous-standby-missing', 'standbys-missing']);

/**
 * What a sampling window adds to a replica's own failures. Heartbeats not
 * shown in time are lag; the replica is also not replaying when its replay is
 * paused, or when it received the WAL but its replay position never moved
 * during the window without an apply delay that explains it.
 */
export function windowFailures(
  view: EndpointView | undefined,
  samples: EndpointSamples,
  maxLagMs: number,
): ReplicaFailure[] {
  const endpoint = view?.endpoint ?? '';
  const failures: ReplicaFailure[] = [];
  if (samples.unreachable > 0) {
    failures.push({
      type: 'replica-unreachable',
      detail: `${samples.lastError ?? `${endpoint} was unreachable`} (${samples.unreachable} of ${samples.samples} heartbeats not checked)`,
    });
  }
  const unseen = samples.samples - samples.seen - samples.unreachable - samples.interrupted;
  if (unseen === 0) return failures;
  const { first, last } = samples;
  // Unknown when the primary did not say where the heartbeat's WAL ends.
  const unseenLsn = samples.lastUnseen?.lsn;
  const applyDelayMs = view?.facts?.apply_delay_ms ?? 0;
  const stuck =
    applyDelayMs === 0 &&
    first?.replayLsn === last?.replayLsn &&
    last?.receiveLsn != null &&
    unseenLsn != null &&
    lsnToBytes(last.receiveLsn) >= lsnToBytes(unseenLsn);
  if (last?.replayPaused) {
    failures.push(replayPaused(endpoint));
  } else if (stuck) {
    failures.push({
      type: 'replica-not-replaying',
      detail: `${endpoint} received WAL up to ${last?.receiveLsn} but its replay stayed at ${last?.replayLsn}`,
    });
  } else if (last && last.receiverStatus !== 'streaming') {
    failures.push(notReceiving(endpoint, last.receiverStatus));
  }
  const delayed = applyDelayMs > 0 ? ` (recovery_min_apply_delay is ${applyDelayMs} ms)` : '';
  failures.push({
    type: 'replication-lag',
    detail: `${endpoint} did not show ${unseen} of ${samples.samples} heartbeats within ${maxLagMs} ms${delayed}`,
  });
  return failures;
}

/** A replica's own failures and the window's: one of a type, the window's being more current. */
function withWindow(
  assessment: Assessment,
  view: EndpointView | undefined,
  samples: EndpointSamples | undefined,
  maxLagMs: number,
): ReplicaFailure[] {
  if (!samples) return assessment.failures;
  // A replica still connecting when the window began, that then showed every
  // heartbeat in time and ended streaming and replaying: the window is more
  // current than the read before it.
  const caughtUp =
    samples.samples > 0 &&
    samples.seen === samples.samples &&
    samples.last?.receiverStatus === 'streaming' &&
    !samples.last.replayPaused;
  const failures = assessment.failures.filter(
    (failure) =>
      !caughtUp ||
      (failure.type !== 'replica-not-receiving' && failure.type !== 'replica-not-replaying'),
  );
  for (const failure of windowFailures(view, samples, maxLagMs)) {
    const same = failures.findIndex((known) => known.type === failure.type);
    if (same >= 0) failures.splice(same, 1);
    failures.push(failure);
  }
  return failures;
}

/** Replay lag in bytes of one replica, read at the same moment as the primary; never negative. */
export function endpointLagBytes(
  primary: PrimaryView | undefined,
  view: EndpointView,
): number | null {
  const primaryLsn = primary?.facts.current_lsn;
  const replayLsn = view.facts?.in_recovery ? view.facts.replay_lsn : null;
  if (!primaryLsn || !replayLsn) return null;
  return Math.max(0, lsnDiffBytes(primaryLsn, replayLsn));
}

/**
 * Lag in time of one replica without writing. 0 when it has replayed all the
 * primary wrote. Otherwise the larger of the primary's measured replay lag
 * for this standby (pg_stat_replication goes stale when a standby stops
 * replying, so never alone) and the age of the newest heartbeat the replica
 * has not shown yet (the primary's own activity it has not replayed: a lower
 * bound that grows while replay is stuck). Null when neither is known.
 */
function lagMsWithoutWriting(
  bytes: number | null,
  assessment: Assessment,
  view: EndpointView,
  primary: PrimaryView | undefined,
): number | null {
  if (bytes === null) return null;
  if (bytes === 0) return 0;
  const known: number[] = [];
  const measured = assessment.standby?.replay_lag_ms;
  if (measured !== null && measured !== undefined) known.push(measured);
  for (const [prober, sequence] of primary?.beats.sequences ?? []) {
    const shown = view.beats?.sequences.get(prober) ?? 0;
    const age = primary?.beats.ageMs.get(prober);
    if (shown < sequence && age !== undefined) known.push(age);
  }
  return known.length > 0 ? Math.max(...known) : null;
}

interface Rules extends Settings {
  maxLagMs: number;
  /** Checked only when given, as Patroni's /replica?lag=. */
  maxLagBytes?: number | undefined;
}

interface Facts {
  /** The hosts as read: for a check, before its window. */
  topology: Topology;
  /** Replica endpoints configured. */
  endpoints: number;
  /** A check's window; none when it wrote nothing (or for the health). */
  window?: WindowResult | undefined;
  /** Heartbeats the window was to write. */
  plannedBeats?: number;
  /** The primary's pg_stat_replication once the window was over. */
  standbysAfter?: StandbyRow[] | undefined;
  /** Endpoints as matched to those rows: re-read when they could not be matched before. */
  viewsAfter?: EndpointView[];
}

export interface EndpointVerdict {
  assessment: Assessment;
  view: EndpointView;
  /** Its own failures, most fundamental first. */
  failures: ReplicaFailure[];
  /** The health's lag without writing; null when unknown or not a replica. */
  lag: { ms: number | null; bytes: number | null };
}

export interface Verdict {
  failures: Failure[];
  endpoints: EndpointVerdict[];
}

/**
 * Every failure, most fundamental first, for the replication check (with
 * its window's samples) or for the health (lag read without writing).
 */
export function assess(purpose: 'check' | 'health', facts: Facts, rules: Rules): Verdict {
  const { topology, window, standbysAfter: after } = facts;
  const primary = topology.primary;
  const views = facts.viewsAfter ?? topology.endpoints;
  const failures = clusterFailures(
    primary && after ? { ...topology, primary: { ...primary, standbys: after } } : topology,
    rules,
  ).filter((failure) => purpose === 'check' || !CHECK_ONLY.has(failure.type));
  if (window && window.beatFailures.length > 0) {
    failures.push({
      type: 'primary-unreachable',
      detail: `${window.beatFailures.length} of ${facts.plannedBeats ?? window.beats.length} heartbeats could not be written: ${window.beatFailures.at(-1)}`,
    });
  }
  const endpoints = topology.endpoints.map((view, index): EndpointVerdict => {
    const assessment = assessEndpoint(view, primary);
    const matchedView = views[index];
    if (after && matchedView && assessment.role === 'replica')
      assessment.standby = matchStandby(matchedView, after) ?? assessment.standby;
    const bytes = endpointLagBytes(primary, view);
    const lag =
      purpose === 'health' && assessment.role === 'replica'
        ? { ms: lagMsWithoutWriting(bytes, assessment, view, primary), bytes }
        : { ms: null, bytes: null };
    const own =
      purpose === 'check'
        ? withWindow(assessment, view, window?.endpoints.get(view.endpoint), rules.maxLagMs)
        : [...assessment.failures, ...lagFailures(view.endpoint, lag, rules)];
    return { assessment, view, failures: own.sort(byImportance), lag };
  });
  for (const { view, failures: own } of endpoints)
    for (const failure of own) failures.push({ ...failure, endpoint: view.endpoint });
  if (primary && !primary.facts.in_recovery) {
    const standbys = after ?? primary.standbys;
    const replicas = endpoints.map(({ view, failures: own }) => ({
      endpoint: view.endpoint,
      ok: own.length === 0,
    }));
    failures.push(
      ...standbyFailures(
        {
          standbys,
          before: after ? primary.standbys : undefined,
          verified: verifiedStandbys(
            views,
            endpoints.map((e) => e.assessment),
            replicas,
            standbys,
          ),
          endpoints: facts.endpoints,
        },
        rules,
      ),
    );
  }
  return { failures: failures.sort(byImportance), endpoints };
}

/** The health's lag rules: in time, and in bytes when a limit is given. */
function lagFailures(
  endpoint: string,
  lag: { ms: number | null; bytes: number | null },
  rules: Rules,
): ReplicaFailure[] {
  const failures: ReplicaFailure[] = [];
  if (lag.ms !== null && lag.ms > rules.maxLagMs) {
    failures.push({
      type: 'replication-lag',
      detail: `${endpoint} is ${lag.ms.toFixed(0)} ms behind (over ${rules.maxLagMs} ms)`,
    });
  }
  if (lag.bytes !== null && rules.maxLagBytes !== undefined && lag.bytes > rules.maxLagBytes) {
    failures.push({
      type: 'replication-lag',
      detail: `${endpoint} is ${lag.bytes} bytes behind (over ${rules.maxLagBytes} bytes)`,
    });
  }
  return failures;
}

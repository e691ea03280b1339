import type { ReplicationConfig } from '../config/config.js';
import type { DatabaseClients } from '../db/clients.js';
import { lsnToBytes } from '../db/lsn.js';
import { type Assessment, assessEndpoint, clusterFailures, matchStandby } from './assess.js';
import { byImportance, type Failure, type ReplicationEvent } from './failures.js';
import { type LagSummary, summarise, UNKNOWN_LAG } from './lagSummary.js';
import { describeTopology, endpointLagBytes, round } from './report.js';
import {
  type EndpointSamples,
  knownLags,
  type SamplingSettings,
  sampleWindow,
  type Window,
  type WindowObserver,
  type WindowResult,
} from './sampler.js';
import { standbyFailures, verifiedStandbys } from './standbys.js';
import {
  type EndpointView,
  readEndpoint,
  readPrimaryStandbys,
  readTopology,
  type Topology,
} from './topology.js';

export interface CheckSettings extends ReplicationConfig, SamplingSettings {}

export type { Window, WindowObserver };

/**
 * Why a window ended early, as its report and log line say: the abort reason
 * when it is a sentence (the caller closed the connection), else shutdown.
 */
const interruption = (signal: AbortSignal) =>
  typeof signal.reason === 'string' ? signal.reason : 'the server is shutting down';

export interface ReplicaReport {
  endpoint: string;
  ok: boolean;
  role: 'replica' | 'primary' | 'unknown';
  application_name: string | null;
  samples: number;
  seen: number;
  /** Queries the window sent this replica: its polling cost. */
  polls: number;
  lag_ms: LagSummary;
  replay_lsn: string | null;
  timeline: number | null;
  failures: { type: Failure['type']; detail: string }[];
}

export interface CheckResult {
  ok: boolean;
  failures: Failure[];
  events: ReplicationEvent[];
  replicas: ReplicaReport[];
  /** Per endpoint, one value per heartbeat of `beatsAt`; null where it could not be checked. */
  lagsByBeat: Map<string, (number | null)[]>;
  /** When the window's heartbeats were written (epoch ms), in order. */
  beatsAt: number[];
  report: Record<string, unknown>;
}

const WRITE_BLOCKERS = new Set([
  'primary-unreachable',
  'primary-in-recovery',
  'synchronous-standby-missing',
]);

/**
 * What the window adds to a replica's own failures. Heartbeats not shown in
 * time are lag; the replica is also not replaying when its replay is paused,
 * or when it received the WAL but its replay position never moved during the
 * window without an apply delay that explains it.
 */
function windowFailures(
  view: EndpointView | undefined,
  samples: EndpointSamples,
  settings: CheckSettings,
): Omit<Failure, 'endpoint'>[] {
  const endpoint = view?.endpoint ?? '';
  const failures: Omit<Failure, 'endpoint'>[] = [];
  if (samples.unreachable > 0) {
    failures.push({
      type: 'replica-unreachable',
      detail: `${samples.lastError ?? `${endpoint} was unreachable`} (${samples.unreachable} of ${samples.samples} heartbeats not checked)`,
    });
  }
  const unseen = samples.samples - samples.seen - samples.unreachable - samples.interrupted;
  if (unseen === 0) return failures;
  const { first, last } = samples;
  const applyDelayMs = view?.facts?.apply_delay_ms ?? 0;
  const stuck =
    applyDelayMs === 0 &&
    first?.replayLsn === last?.replayLsn &&
    last?.receiveLsn != null &&
    samples.unseenLsn !== undefined &&
    lsnToBytes(last.receiveLsn) >= lsnToBytes(samples.unseenLsn);
  if (last?.replayPaused) {
    failures.push({ type: 'replica-not-replaying', detail: `${endpoint} has paused WAL replay` });
  } else if (stuck) {
    failures.push({
      type: 'replica-not-replaying',
      detail: `${endpoint} received WAL up to ${last?.receiveLsn} but its replay stayed at ${last?.replayLsn}`,
    });
  } else if (last && last.receiverStatus !== 'streaming') {
    failures.push({
      type: 'replica-not-receiving',
      detail: `${endpoint} is not receiving WAL: its WAL receiver is ${last.receiverStatus ?? 'not running'}`,
    });
  }
  const delayed = applyDelayMs > 0 ? ` (recovery_min_apply_delay is ${applyDelayMs} ms)` : '';
  failures.push({
    type: 'replication-lag',
    detail: `${endpoint} did not show ${unseen} of ${samples.samples} heartbeats within ${settings.maxLagMs} ms${delayed}`,
  });
  return failures;
}

function replicaReport(
  assessment: Assessment,
  topology: Topology,
  window: WindowResult | undefined,
  settings: CheckSettings,
): ReplicaReport {
  const view = topology.endpoints.find((e) => e.endpoint === assessment.endpoint);
  const samples = window?.endpoints.get(assessment.endpoint);
  // A replica still connecting when the window began, that then showed every
  // heartbeat in time and ended streaming and replaying: the window is more
  // current than the read before it.
  const caughtUp =
    samples !== undefined &&
    samples.samples > 0 &&
    samples.seen === samples.samples &&
    samples.last?.receiverStatus === 'streaming' &&
    !samples.last.replayPaused;
  const failures = assessment.failures.filter(
    (failure) =>
      !caughtUp ||
      (failure.type !== 'replica-not-receiving' && failure.type !== 'replica-not-replaying'),
  );
  for (const failure of samples ? windowFailures(view, samples, settings) : []) {
    // One failure of a type per replica: the window's is more current.
    const same = failures.findIndex((known) => known.type === failure.type);
    if (same >= 0) failures.splice(same, 1);
    failures.push(failure);
  }
  failures.sort(byImportance);
  return {
    endpoint: assessment.endpoint,
    ok: failures.length === 0,
    role: assessment.role,
    application_name: assessment.standby?.application_name ?? null,
    samples: samples?.samples ?? 0,
    seen: samples?.seen ?? 0,
    polls: samples?.polls ?? 0,
    lag_ms: samples ? summarise(knownLags(samples.byBeat), samples.seen) : UNKNOWN_LAG,
    replay_lsn: samples?.last?.replayLsn ?? view?.facts?.replay_lsn ?? null,
    timeline: view?.facts?.timeline ?? null,
    failures,
  };
}

/**
 * Like check_postgres replicate_row, for every replica on its own and over a
 * window: reads the primary and every replica endpoint, then writes a
 * heartbeat every interval and times how long each replica takes to show it.
 * No write when it would hang or mislead (primary unreachable or in recovery,
 * synchronous standby missing). A failure of one replica never stops the
 * others being measured. Returns data; the HTTP layer turns it into answers.
 */
export async function runReplicationCheck(
  db: DatabaseClients,
  settings: CheckSettings,
  window: Window,
  signal: AbortSignal,
  observer?: WindowObserver,
): Promise<CheckResult> {
  const topology = await readTopology(db);
  const blockers = clusterFailures(topology, settings).filter((f) => WRITE_BLOCKERS.has(f.type));
  const assessments = topology.endpoints.map((view) => assessEndpoint(view, topology.primary));
  const verified = assessments.filter((a) => a.verifiable).map((a) => a.endpoint);
  const targets = db.endpoints.filter((e) => verified.includes(e.endpoint));
  const result =
    blockers.length > 0
      ? undefined
      : await sampleWindow(db, targets, settings, window, signal, observer);
  // The primary's view of its standbys once the window is over: what the
  // standby rules judge, what each endpoint is matched to (a standby that was
  // still connecting when the window began has its slot now), and what the
  // streaming count is of.
  const primary = topology.primary;
  const lastBeat = result?.beats.at(-1);
  const after =
    primary && !primary.facts.in_recovery && lastBeat
      ? await readPrimaryStandbys(db, settings, lastBeat, signal).catch(() => undefined)
      : undefined;
  // An endpoint whose WAL receiver was not running yet when the window began
  // says which standby it is only now: read it again.
  const views = await Promise.all(
    topology.endpoints.map(async (view, index) => {
      const target = db.endpoints.find((e) => e.endpoint === view.endpoint);
      const unmatched = assessments[index]?.verifiable && after && !matchStandby(view, after);
      return unmatched && target ? readEndpoint(target) : view;
    }),
  );
  const failures = clusterFailures(
    primary && after ? { ...topology, primary: { ...primary, standbys: after } } : topology,
    settings,
  );
  if (result && result.beatFailures.length > 0) {
    failures.push({
      type: 'primary-unreachable',
      detail: `${result.beatFailures.length} of ${window.samples} heartbeats could not be written: ${result.beatFailures.at(-1)}`,
    });
  }
  if (after) {
    for (const [index, assessment] of assessments.entries()) {
      const view = views[index];
      if (view && assessment.role === 'replica')
        assessment.standby = matchStandby(view, after) ?? assessment.standby;
    }
  }
  const replicas = assessments.map((a) => replicaReport(a, topology, result, settings));
  for (const replica of replicas) {
    for (const failure of replica.failures)
      failures.push({ ...failure, endpoint: replica.endpoint });
  }
  if (primary && !primary.facts.in_recovery) {
    const standbys = after ?? primary.standbys;
    failures.push(
      ...standbyFailures(
        {
          standbys,
          before: after ? primary.standbys : undefined,
          verified: verifiedStandbys(views, assessments, replicas, standbys),
          endpoints: db.endpoints.length,
        },
        settings,
      ),
    );
  }
  failures.sort(byImportance);
  const events = result?.events ?? [];
  const worst = replicas
    .filter((replica) => replica.lag_ms.last !== null)
    .sort((a, b) => (b.lag_ms.last ?? 0) - (a.lag_ms.last ?? 0))[0];
  const lagBytes = topology.endpoints
    .map((view) => endpointLagBytes(topology.primary, view))
    .filter((bytes): bytes is number => bytes !== null);
  return {
    ok: failures.length === 0,
    failures,
    events,
    replicas,
    lagsByBeat: new Map(
      [...(result?.endpoints ?? new Map())].map(([endpoint, samples]) => [
        endpoint,
        samples.byBeat,
      ]),
    ),
    beatsAt: result?.beats.map((beat) => beat.at) ?? [],
    report: {
      status: failures.length === 0 ? 'ok' : 'failing',
      prober: settings.prober,
      samples: window.samples,
      interval_ms: window.intervalMs,
      ...(signal.aborted ? { interrupted: interruption(signal) } : {}),
      lag_ms: round(worst?.lag_ms.last),
      threshold_ms: settings.maxLagMs,
      primary_lsn: lastBeat?.lsn ?? null,
      replica_lsn: worst?.replay_lsn ?? null,
      lag_bytes: lagBytes.length > 0 ? Math.max(...lagBytes) : null,
      heartbeat_sequence: lastBeat?.sequence ?? null,
      expected_standbys: settings.expectedStandbys,
      replicas,
      events,
      ...describeTopology(topology),
    },
  };
}

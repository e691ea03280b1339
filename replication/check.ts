import type { ReplicationConfig } from '../config/config.js';
import type { DatabaseClients } from '../db/clients.js';
import { assess, assessEndpoint, writeBlockers } from './assess.js';
import { checkReport } from './report.js';
import type { CheckReplica, CheckReport, Failure, ReplicationEvent } from './reportSchema.js';
import {
  type SamplingSettings,
  sampleWindow,
  type Window,
  type WindowObserver,
} from './sampler.js';
import { matchStandby } from './standbys.js';
import { readEndpoint, readPrimaryStandbys, readTopology } from './topology.js';

export interface CheckSettings extends ReplicationConfig, SamplingSettings {}

export type { Window, WindowObserver };

/**
 * Why a window ended early, as its report and log line say: the abort reason
 * when it is a sentence (the caller closed the connection), else shutdown.
 */
export const SHUTTING_DOWN = 'the server is shutting down';
const interruption = (signal: AbortSignal) =>
  typeof signal.reason === 'string' ? signal.reason : SHUTTING_DOWN;

export interface CheckResult {
  ok: boolean;
  /** Every failure, most fundamental first. */
  failures: Failure[];
  /** The report's own replicas and events. */
  replicas: CheckReplica[];
  events: ReplicationEvent[];
  /** Per endpoint, one value per heartbeat of `beatsAt`; null where it could not be checked. */
  lagsByBeat: Map<string, (number | null)[]>;
  /** When the window's heartbeats were written (epoch ms), in order. */
  beatsAt: number[];
  report: CheckReport;
}

/**
 * Like check_postgres replicate_row, for every replica on its own and over a
 * window: reads the primary and every replica endpoint, then writes a
 * heartbeat every interval and times how long each replica takes to show it.
 * No write when it would hang or mislead (primary unreachable or in recovery,
 * synchronous standby missing). A failure of one replica never stops the
 * others being measured. Gathers the facts; assess.ts judges them, and
 * report.ts writes the answer.
 */
export async function runReplicationCheck(
  db: DatabaseClients,
  settings: CheckSettings,
  window: Window,
  signal: AbortSignal,
  observer?: WindowObserver,
): Promise<CheckResult> {
  const topology = await readTopology(db);
  const verifiable = topology.endpoints
    .filter((view) => assessEndpoint(view, topology.primary).verifiable)
    .map((view) => view.endpoint);
  const targets = db.endpoints.filter((e) => verifiable.includes(e.endpoint));
  const result =
    writeBlockers(topology, settings).length > 0
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
  const viewsAfter = await Promise.all(
    topology.endpoints.map(async (view) => {
      const target = db.endpoints.find((e) => e.endpoint === view.endpoint);
      const unmatched = verifiable.includes(view.endpoint) && after && !matchStandby(view, after);
      return unmatched && target ? readEndpoint(target) : view;
    }),
  );
  const verdict = assess(
    'check',
    {
      topology,
      endpoints: db.endpoints.length,
      window: result,
      plannedBeats: window.samples,
      standbysAfter: after,
      viewsAfter,
    },
    settings,
  );
  const report = checkReport(verdict, topology, result, {
    prober: settings.prober,
    maxLagMs: settings.maxLagMs,
    expectedStandbys: settings.expectedStandbys,
    window,
    interrupted: signal.aborted ? interruption(signal) : undefined,
  });
  return {
    ok: verdict.failures.length === 0,
    failures: verdict.failures,
    replicas: report.replicas,
    events: report.events,
    lagsByBeat: new Map(
      [...(result?.endpoints ?? [])].map(([endpoint, samples]) => [endpoint, samples.byBeat]),
    ),
    beatsAt: result?.beats.map((beat) => beat.at) ?? [],
    report,
  };
}

import type { StandbyRow } from '../db/replicationQueries.js';
import type { Failure } from './reportSchema.js';
import type { EndpointView } from './topology.js';

// Every standby the primary reports is verified through an endpoint, ignored
// by configuration, or a failure; and the primary's own figures for a
// standby count whatever an endpoint says (a standby cut off from the primary
// can look idle from its own side). The rules, from facts, for the check and
// the health alike.

export interface StandbyRules {
  maxLagMs: number;
  /** application_name of standbys left unverified on purpose (a backup tool's pg_receivewal). */
  ignoredStandbys: readonly string[];
  expectedStandbys: number;
}

export interface StandbyFacts {
  /** The primary's pg_stat_replication now (at the end of a window). */
  standbys: StandbyRow[];
  /** The same before the window, when there was one: what "stood still" is measured against. */
  before?: StandbyRow[] | undefined;
  /** Rows matched to an endpoint (by standbyKey), with whether that endpoint found it healthy. */
  verified: Map<string, { ok: boolean }>;
  /** Replica endpoints configured. */
  endpoints: number;
}

/** Who a row is across two reads of pg_stat_replication (its pid changes on reconnect). */
export const standbyKey = (row: StandbyRow) =>
  `${row.application_name}\u0000${row.client_addr ?? ''}\u0000${row.slot_name ?? ''}`;

const describe = (row: StandbyRow) =>
  `standby ${row.application_name} (${row.client_addr ?? 'local socket'})`;

const asPrimarySees = (row: StandbyRow) =>
  `the primary sees replay lag ${row.replay_lag_ms === null ? 'unknown' : `${row.replay_lag_ms.toFixed(1)} ms`}, ${row.replay_lag_bytes ?? 'unknown'} bytes behind`;

const isIgnored = (rules: StandbyRules, row: StandbyRow) =>
  rules.ignoredStandbys.includes(row.application_name);

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

export function standbyFailures(facts: StandbyFacts, rules: StandbyRules): Failure[] {
  const failures: Failure[] = [];
  if (facts.endpoints < rules.expectedStandbys) {
    failures.push({
      type: 'endpoints-missing',
      detail: `${facts.endpoints} replica endpoint(s) verified, ${rules.expectedStandbys} standbys expected: list every standby in POSTGRES_REPLICA_ENDPOINTS`,
    });
  }
  const before = new Map((facts.before ?? []).map((row) => [standbyKey(row), row]));
  for (const row of facts.standbys) {
    if (isIgnored(rules, row)) continue;
    const verified = facts.verified.get(standbyKey(row));
    const about = { standby: row.application_name };
    if (!verified) {
      failures.push({
        type: 'standby-unverified',
        detail: `${describe(row)} streams from the primary but no endpoint verifies it; ${asPrimarySees(row)}`,
        ...about,
      });
    }
    // An endpoint that already failed this standby has said what is wrong.
    if (verified && !verified.ok) continue;
    const was = before.get(standbyKey(row));
    if (
      was &&
      row.replay_lsn !== null &&
      row.replay_lsn === was.replay_lsn &&
      (row.replay_lag_bytes ?? 0) > (was.replay_lag_bytes ?? 0)
    ) {
      failures.push({
        type: 'standby-stalled',
        detail: `${describe(row)} replayed nothing during the window: the primary sees its replay stand at ${row.replay_lsn} while it fell from ${was.replay_lag_bytes} to ${row.replay_lag_bytes} bytes behind`,
        ...about,
      });
    } else if (row.replay_lag_ms !== null && row.replay_lag_ms > rules.maxLagMs) {
      failures.push({
        type: 'standby-lagging',
        detail: `the primary measures ${describe(row)} ${row.replay_lag_ms.toFixed(0)} ms behind in replay (over ${rules.maxLagMs} ms)`,
        ...about,
      });
    }
  }
  return failures;
}

/** The primary's rows of standbys an endpoint verifies, with whether it found them healthy. */
export function verifiedStandbys(
  views: EndpointView[],
  assessments: { endpoint: string; verifiable: boolean }[],
  replicas: { endpoint: string; ok: boolean }[],
  standbys: StandbyRow[],
): Map<string, { ok: boolean }> {
  const verified = new Map<string, { ok: boolean }>();
  for (const [index, assessment] of assessments.entries()) {
    const view = views[index];
    if (!assessment.verifiable || !view) continue;
    const row = matchStandby(view, standbys);
    if (!row) continue;
    const ok = replicas.find((replica) => replica.endpoint === assessment.endpoint)?.ok ?? false;
    verified.set(standbyKey(row), { ok });
  }
  return verified;
}

import type { CheckReplica, Failure } from '../replication/reportSchema.js';

// What the probe prints: a verdict in the Monitoring Plugins conventions
// (exit 0/1/2/3, one status line, perfdata), or a table for a terminal.

export type ProbeStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
export const EXIT_CODES: Record<ProbeStatus, number> = {
  OK: 0,
  WARNING: 1,
  CRITICAL: 2,
  UNKNOWN: 3,
};

/** What the probe reads of each replica of the check's report. */
export type ProbeReplica = Pick<
  CheckReplica,
  'endpoint' | 'ok' | 'application_name' | 'samples' | 'seen' | 'polls' | 'lag_ms' | 'failures'
>;

export interface ProbeResult {
  ok: boolean;
  failures: Failure[];
  replicas: ProbeReplica[];
}

export interface Thresholds {
  warningMs: number;
  criticalMs: number;
}

/** Failures that say the probe could not look, not that replication is broken. */
const CANNOT_LOOK = new Set(['primary-unreachable']);

const nameOf = (replica: ProbeReplica) => replica.application_name ?? replica.endpoint;

/** The worst replica: failing first, then the highest p99. */
function worstReplica(replicas: ProbeReplica[]): ProbeReplica | undefined {
  return [...replicas].sort(
    (a, b) => Number(a.ok) - Number(b.ok) || (b.lag_ms.p99 ?? -1) - (a.lag_ms.p99 ?? -1),
  )[0];
}

export function verdict(result: ProbeResult, thresholds: Thresholds): ProbeStatus {
  if (result.failures.some((failure) => CANNOT_LOOK.has(failure.type))) return 'UNKNOWN';
  if (!result.ok) return 'CRITICAL';
  const p99s = result.replicas.map((replica) => replica.lag_ms.p99 ?? 0);
  const worst = Math.max(0, ...p99s);
  if (worst >= thresholds.criticalMs) return 'CRITICAL';
  if (worst >= thresholds.warningMs) return 'WARNING';
  return 'OK';
}

/** A perfdata label: quoted, without the quote and equals characters the grammar reserves. */
const label = (text: string) => `'${text.replace(/['=]/g, '_')}'`;
const value = (ms: number | null) => (ms === null ? 'U' : `${ms}ms`);

/** Per replica: lag p50/p99/max in ms against the thresholds, and heartbeats seen of written. */
export function perfdata(result: ProbeResult, thresholds: Thresholds): string {
  const range = `${thresholds.warningMs};${thresholds.criticalMs};0`;
  return result.replicas
    .flatMap((replica) => {
      const name = nameOf(replica);
      return [
        `${label(`${name}_lag_p50`)}=${value(replica.lag_ms.p50)};;;0`,
        `${label(`${name}_lag_p99`)}=${value(replica.lag_ms.p99)};${range}`,
        `${label(`${name}_lag_max`)}=${value(replica.lag_ms.max)};;;0`,
        `${label(`${name}_seen`)}=${replica.seen};;;0;${replica.samples}`,
      ];
    })
    .join(' ');
}

/** One status line naming the worst replica and the failure types, then `|` perfdata. */
export function nagiosLine(result: ProbeResult, thresholds: Thresholds): string {
  const status = verdict(result, thresholds);
  const worst = worstReplica(result.replicas);
  const types = [...new Set(result.failures.map((failure) => failure.type))];
  const named = result.failures.find((failure) => failure.standby ?? failure.endpoint);
  let summary: string;
  if (status === 'UNKNOWN') {
    summary = `cannot check: ${result.failures.find((failure) => CANNOT_LOOK.has(failure.type))?.detail}`;
  } else if (types.length > 0) {
    const who =
      worst && !worst.ok ? nameOf(worst) : (named?.standby ?? named?.endpoint ?? 'cluster');
    summary = `${who}: ${types.join(', ')}`;
  } else {
    summary = `${result.replicas.length} replica(s) ok, worst ${worst ? `${nameOf(worst)} p99 ${worst.lag_ms.p99} ms` : 'none'}`;
  }
  return `PG_REPLICA ${status} - ${summary} | ${perfdata(result, thresholds)}`;
}

const cell = (ms: number | null) => (ms === null ? '-' : ms.toFixed(1));

/** One line per replica with its figures and failures, then the failures about no one replica. */
export function table(result: ProbeResult, thresholds: Thresholds): string {
  const rows = [
    ['replica', 'name', 'state', 'seen', 'p50 ms', 'p99 ms', 'max ms', 'polls', 'failures'],
    ...result.replicas.map((replica) => [
      replica.endpoint,
      replica.application_name ?? '-',
      replica.ok ? 'ok' : 'FAIL',
      `${replica.seen}/${replica.samples}`,
      cell(replica.lag_ms.p50),
      cell(replica.lag_ms.p99),
      cell(replica.lag_ms.max),
      String(replica.polls),
      replica.failures.map((failure) => failure.type).join(', '),
    ]),
  ];
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((row) => row[column]?.length ?? 0)),
  );
  const lines = rows.map((row) =>
    row
      .map((text, column) => text.padEnd(widths?.[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const others = result.failures.filter((failure) => !failure.endpoint);
  for (const failure of others) lines.push(`${failure.type}: ${failure.detail}`);
  lines.push(verdict(result, thresholds));
  return lines.join('\n');
}

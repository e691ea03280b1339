import type postgres from 'postgres';
import type { CheckReplica } from '../replication/reportSchema.js';
import { cpuSeconds } from './startProcess.js';

export type ReplicaFigures = Pick<CheckReplica, 'endpoint' | 'seen' | 'polls' | 'lag_ms'>;

export interface WindowCost {
  samples: number;
  intervalMs: number;
  status: number;
  wallS: number;
  /** User + system CPU of the service process over the window. */
  cpuS: number;
  walBytes: number;
  /** Most connections the service held at once, per host (sampled every 100 ms). */
  peakConnections: Record<string, number>;
  /** Each replica's figures, as the check answered them. */
  replicas: ReplicaFigures[];
}

/**
 * One sampling window of the replication check against the running service:
 * its CPU time, the WAL the primary wrote meanwhile (nothing else writes), and
 * the connections the service held on each host.
 */
export async function measureWindow(options: {
  url: string;
  authorization: string;
  pid: number;
  hosts: Record<string, postgres.Sql>;
  applicationName: string;
  samples: number;
  intervalMs: number;
}): Promise<WindowCost> {
  const primary = options.hosts.primary;
  if (!primary) throw new Error('no primary connection');
  const lsn = async () =>
    (await primary`select pg_current_wal_lsn()::text as lsn`)[0]?.lsn as string;
  const peaks: Record<string, number> = Object.fromEntries(
    Object.keys(options.hosts).map((name) => [name, 0]),
  );
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const [name, sql] of Object.entries(options.hosts)) {
        const [row] = await sql`
          select count(*)::int as count from pg_stat_activity
          where application_name = ${options.applicationName}`;
        peaks[name] = Math.max(peaks[name] ?? 0, Number(row?.count));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const walBefore = await lsn();
  const cpuBefore = cpuSeconds(options.pid);
  const started = performance.now();
  const response = await fetch(
    `${options.url}/replication_check?samples=${options.samples}&interval_ms=${options.intervalMs}`,
    { method: 'POST', headers: { authorization: options.authorization } },
  );
  const body = (await response.json()) as { replicas?: ReplicaFigures[] };
  const wallS = (performance.now() - started) / 1000;
  const cpuS = cpuSeconds(options.pid) - cpuBefore;
  const walAfter = await lsn();
  sampling = false;
  await sampler;
  const [diff] = await primary`select pg_wal_lsn_diff(${walAfter}, ${walBefore})::float8 as bytes`;
  return {
    samples: options.samples,
    intervalMs: options.intervalMs,
    status: response.status,
    wallS,
    cpuS,
    walBytes: Number(diff?.bytes),
    peakConnections: peaks,
    replicas: body.replicas ?? [],
  };
}

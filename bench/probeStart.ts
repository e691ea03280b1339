import { spawn } from 'node:child_process';
import type { TestPair } from '../test/support/testPair.js';
import { APP } from '../test/support/testPair.js';
import { median } from './startProcess.js';

/**
 * The probe's overhead as a terminal or Nagios sees it: from spawning
 * `npm run probe`'s command (node --import tsx synthetic/probe.ts) to its
 * first heartbeat committed on the primary, `runs` times; medians in ms.
 */
export async function measureProbeStart(pair: TestPair, runs: number): Promise<number> {
  const primary = pair.superuser('primary');
  const sequence = async () =>
    Number(
      (
        await primary`select sequence from replication_heartbeat where prober = 'pg-replica-probe'`
      )[0]?.sequence ?? 0,
    );
  const uri = (port: number) =>
    `postgresql://${APP.role}:${APP.password}@127.0.0.1:${port}/${APP.database}?sslmode=disable`;
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const before = await sequence();
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'synthetic/probe.ts',
        '--primary',
        uri(pair.pair.primary.port),
        ...pair.pair.standbys.flatMap((standby) => ['--replica', uri(standby.port)]),
        '--samples',
        '1',
        '--format',
        'nagios',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    while ((await sequence()) === before) await new Promise((resolve) => setTimeout(resolve, 2));
    times.push(performance.now() - started);
    await exited;
  }
  return median(times);
}

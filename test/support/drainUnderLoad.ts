import { expect } from 'vitest';
import { sentGet, slowPost } from './slowRequest.js';
import type { TestPair } from './testPair.js';

export interface DrainTarget {
  url: string;
  pair: TestPair;
  /** The service's application_name on both hosts. */
  applicationName: string;
  sigterm(): void;
  /** Resolves once the server says it is draining. */
  draining(): Promise<unknown>;
  exited: Promise<number | null>;
}

const GETS = 5;

/**
 * What docs/operations.md promises for SIGTERM: nine requests in flight (four POSTs
 * still sending their bodies, five replica reads waiting for a WAL position
 * the paused replica has not replayed) all complete with their normal status,
 * both pools close, and the process exits 0 within 10 s.
 */
export async function expectDrainUnderLoad(target: DrainTarget): Promise<void> {
  const { pair } = target;
  const primary = pair.superuser('primary');
  const replica = pair.superuser('replica');
  const authorization = `Basic ${Buffer.from(`${pair.env.BASIC_AUTH_USERNAME}:${pair.env.BASIC_AUTH_PASSWORD}`).toString('base64')}`;
  const codes: [string, ...string[]] = ['QD', 'QE', 'QF', 'QG'];

  // Reads that stay in flight: the replica must replay a write it cannot yet.
  await replica`select pg_wal_replay_pause()`;
  try {
    await primary`insert into country (two_letter, name, country_id) values ('QH', 'Drainland', 921)`;
    const [position] = await primary`select pg_current_wal_insert_lsn()::text as lsn`;
    const waitFor = `min_lsn=${position?.lsn}&wait_ms=9000`;
    const reads = Array.from({ length: GETS }, (_, index) =>
      sentGet(`${target.url}${index % 2 ? '/country_replica' : '/country_replica/QH'}?${waitFor}`, {
        authorization,
      }),
    );
    // Sent before the POSTs: once the server has asked each POST for its body,
    // it has read these requests too (they were in its socket buffers first).
    await Promise.all(reads.map((read) => read.sent));
    const writes = codes.map((code, index) =>
      slowPost(
        `${target.url}/country`,
        { authorization },
        JSON.stringify({ name: `Drain ${code}`, two_letter: code, country_id: 922 + index }),
      ),
    );
    await Promise.all(writes.map((write) => write.accepted));

    const signalled = performance.now();
    target.sigterm();
    await target.draining();
    for (const write of writes) write.finish();
    await replica`select pg_wal_replay_resume()`;

    const written = await Promise.all(writes.map((write) => write.answer));
    expect(written.map((answer) => answer.status)).toEqual(codes.map(() => 201));
    const read = await Promise.all(reads.map((request) => request.answer));
    expect(read.map((answer) => answer.status)).toEqual(reads.map(() => 200));
    expect(await target.exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(10_000);

    // Both pools closed: no backend of the service is left on either host.
    for (const host of [primary, replica]) {
      await expect
        .poll(
          async () => {
            const [row] = await host`
            select count(*)::int as count from pg_stat_activity
            where application_name = ${target.applicationName}`;
            return row?.count;
          },
          { timeout: 2000 },
        )
        .toBe(0);
    }
    const stored =
      await primary`select two_letter from country where two_letter in ${primary(codes)} order by 1`;
    expect(stored.map((row) => row.two_letter)).toEqual(codes);
  } finally {
    await replica`select pg_wal_replay_resume()`;
    await primary`delete from country where two_letter in ${primary(['QH', ...codes])}`;
  }
}

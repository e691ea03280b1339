import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';

const superuser = (port: number, password: string) =>
  postgres({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    pass: password,
    database: 'postgres',
    max: 1,
    fetch_types: false,
    onnotice: () => {},
  });

/** Resolves once the replica has replayed everything the primary had written when called. */
export async function waitForReplay(
  ports: { primary: number; replica: number },
  superuserPassword: string,
  timeoutMs = 10_000,
): Promise<void> {
  const primary = superuser(ports.primary, superuserPassword);
  const replica = superuser(ports.replica, superuserPassword);
  try {
    const [written] = await primary`select pg_current_wal_lsn()::text as lsn`;
    const lsn = String(written?.lsn);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [replay] = await replica`
        select coalesce(pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn, false) as "caughtUp"`;
      if (replay?.caughtUp) return;
      if (Date.now() > deadline)
        throw new Error(`the replica did not replay ${lsn} within ${timeoutMs} ms`);
      await sleep(10);
    }
  } finally {
    await Promise.all([primary.end({ timeout: 1 }), replica.end({ timeout: 1 })]);
  }
}

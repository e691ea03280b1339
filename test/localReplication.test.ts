import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICATION_ROLE, replicationPassword } from '../dev/appDatabase.js';
import { ensureDir } from '../dev/clusterFiles.js';
import { freePort } from '../dev/freePort.js';
import { postgresAccount } from '../dev/osUser.js';
import { findPgBinaries } from '../dev/pgBinaries.js';
import {
  clusterPaths,
  type ReplicatedCluster,
  slotName,
  startReplicatedCluster,
} from '../dev/replicatedCluster.js';
import { spawnEntry } from './support/process.js';
import { cachedTemplate } from './support/template.js';
import { startTestPair, type TestPair } from './support/testPair.js';

// The local cluster replicates as CloudNativePG does: each standby through a
// physical slot of its own on the primary, as a replication role that is not
// the superuser (issue 16, 5b; issue 17, 8e).

const STREAMING = `
  select r.application_name, r.usename, r.state, s.slot_name, s.slot_type, s.active
  from pg_stat_replication r left join pg_replication_slots s on s.active_pid = r.pid
  order by r.application_name`;

const expectedStreaming = (count: number) =>
  Array.from({ length: count }, (_, index) => ({
    application_name: `standby${index + 1}`,
    usename: REPLICATION_ROLE,
    state: 'streaming',
    slot_name: slotName(index),
    slot_type: 'physical',
    active: true,
  }));

/** Superuser connection to a server of the cluster, closed after the test file. */
const opened: postgres.Sql[] = [];
function connect(
  port: number,
  password: string,
  options: { user?: string; connection?: Record<string, string> } = {},
) {
  const sql = postgres({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    pass: password,
    database: 'postgres',
    max: 1,
    fetch_types: false,
    onnotice: () => {},
    ...options,
  });
  opened.push(sql);
  return sql;
}

afterAll(async () => {
  await Promise.all(opened.map((sql) => sql.end({ timeout: 1 })));
});

describe('a test pair of two standbys', () => {
  let pair: TestPair;
  let primarySql: postgres.Sql;
  const started: ReplicatedCluster[] = [];

  beforeAll(async () => {
    pair = await startTestPair({ standbys: 2, migrate: false });
    primarySql = pair.superuser('primary', 'postgres');
  }, 60_000);

  afterAll(async () => {
    for (const cluster of started) await cluster.stop();
    await pair?.stop();
  });

  const primary = () => primarySql;

  it('each standby streams as the replication role through its own slot, and only those slots exist', async () => {
    await expect.poll(async () => primary().unsafe(STREAMING)).toEqual(expectedStreaming(2));
    expect(
      await primary()`select slot_name, slot_type, active from pg_replication_slots order by 1`,
    ).toEqual([0, 1].map((i) => ({ slot_name: slotName(i), slot_type: 'physical', active: true })));
    for (const index of [0, 1]) {
      const standby = pair.superuser(index, 'postgres');
      expect(await standby`select slot_name from pg_stat_wal_receiver`).toEqual([
        { slot_name: slotName(index) },
      ]);
      // A standby has no slot of its own (none copied from the primary).
      expect(await standby`select slot_name from pg_replication_slots`).toEqual([]);
    }
  });

  it('replication connections: only the replication role, only from 127.0.0.1, on every server', async () => {
    for (const server of ['primary', 0, 1] as const) {
      const sql = pair.superuser(server, 'postgres');
      expect(
        await sql`select type, array_to_string(user_name, ',') as user_name, address, auth_method from pg_hba_file_rules
                  where 'replication' = any(database)`,
      ).toEqual([
        {
          type: 'host',
          user_name: REPLICATION_ROLE,
          address: '127.0.0.1',
          auth_method: 'scram-sha-256',
        },
      ]);
    }
    // The superuser cannot open a replication connection; the role can.
    const asSuperuser = connect(pair.pair.primary.port, pair.superuserPassword, {
      connection: { replication: 'true' },
    });
    await expect(asSuperuser.unsafe('IDENTIFY_SYSTEM').simple()).rejects.toMatchObject({
      code: '28000',
    });
    const asRole = connect(pair.pair.primary.port, replicationPassword(pair.superuserPassword), {
      user: REPLICATION_ROLE,
      connection: { replication: 'true' },
    });
    const [identity] = await asRole.unsafe('IDENTIFY_SYSTEM').simple();
    expect(identity?.systemid).toMatch(/^\d+$/);
    // A walsender of its own: gone before the next test counts the primary's.
    await asRole.end({ timeout: 1 });
    const [role] =
      await primary()`select rolsuper, rolreplication, rolcanlogin from pg_roles where rolname = ${REPLICATION_ROLE}`;
    expect(role).toEqual({ rolsuper: false, rolreplication: true, rolcanlogin: true });
  });

  it('a restarted standby streams through its slot again', async () => {
    await pair.pair.restart(1);
    await expect
      .poll(async () => primary().unsafe(STREAMING), { timeout: 10_000 })
      .toEqual(expectedStreaming(2));
  });

  // Last: it stops the pair's cluster and starts it again on the same folders.
  it('a standby added to a cluster whose primary has slots carries none; a standby no longer started loses its slot', async () => {
    const options = pair.pair.options;
    await pair.pair.stop();
    const grown = await startReplicatedCluster({
      ...options,
      standbyPorts: [...options.standbyPorts, await freePort()],
    });
    started.push(grown);
    await expect
      .poll(async () => primary().unsafe(STREAMING), { timeout: 10_000 })
      .toEqual(expectedStreaming(3));
    const third = connect(grown.standbys[2]?.port ?? 0, pair.superuserPassword);
    expect(await third`select slot_name from pg_replication_slots`).toEqual([]);
    expect(await readdir(join(clusterPaths(options.baseDir).standby(2), 'pg_replslot'))).toEqual(
      [],
    );
    await grown.stop();

    const again = await startReplicatedCluster(options);
    started.push(again);
    await expect
      .poll(async () => primary().unsafe(STREAMING), { timeout: 10_000 })
      .toEqual(expectedStreaming(2));
    expect(await primary()`select slot_name from pg_replication_slots order by 1`).toEqual([
      { slot_name: slotName(0) },
      { slot_name: slotName(1) },
    ]);
  }, 60_000);
});

it('npm start: the local default streams as the replication role through slots', async () => {
  const localDir = await mkdtemp(join(tmpdir(), 'local-replication-'));
  process.env.LOCAL_CLUSTER_DIR = localDir;
  const { startLocalDefault } = await import('../dev/localDefault.js');
  delete process.env.LOCAL_CLUSTER_DIR;
  const local = await startLocalDefault({ ...process.env, LOCAL_CLUSTER_DIR: localDir });
  try {
    const sql = connect(local.cluster.primary.port, local.cluster.options.superuserPassword);
    await expect.poll(async () => sql.unsafe(STREAMING)).toEqual(expectedStreaming(2));
  } finally {
    await local.cluster.stop();
    await spawnEntry('dev/reset.ts', { LOCAL_CLUSTER_DIR: localDir }).exited;
    await rm(localDir, { recursive: true, force: true });
  }
}, 120_000);

// Root removes nothing in the account's folders itself (a link swapped in
// mid-walk could send its deletion elsewhere): the account does, with its
// own rights. A leftover staging folder holding what the account may not
// delete therefore stays, and the start says so.
it.runIf(process.getuid?.() === 0)(
  "a leftover staging folder is removed with the account's rights, not root's",
  async () => {
    const runAs = postgresAccount();
    const binaries = await findPgBinaries(runAs);
    const template = await cachedTemplate(binaries, runAs);
    const base = await mkdtemp(join(tmpdir(), 'pg-leftover-'));
    try {
      await ensureDir(base, undefined, 0o755);
      const baseDir = join(base, 'pg');
      await ensureDir(baseDir, runAs);
      const staging = `${clusterPaths(baseDir).primary}.new`;
      await mkdir(join(staging, 'roots'), { recursive: true });
      await writeFile(join(staging, 'roots', 'file'), 'root only');
      if (runAs) await chown(staging, runAs.uid, runAs.gid);
      const outcome = await startReplicatedCluster({
        baseDir,
        primaryPort: await freePort(),
        standbyPorts: [],
        superuserPassword: template.superuserPassword,
        binaries,
        runAs,
        template: template.dataDir,
      }).then(
        (cluster) => cluster.stop(), // not expected: stopped before its folder goes
        (error: Error) => error,
      );
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toMatch(/Permission denied/);
      expect(existsSync(join(staging, 'roots', 'file'))).toBe(true);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  },
);

import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import { describe, expect, it } from 'vitest';
import type { Pool } from '../../db/pool.js';
import { country } from '../../db/schema.js';
import { rawStatement } from '../../db/statements.js';
import { readOnly } from '../../db/transaction.js';

// The one way db/ runs SQL, on drizzle-orm's own prepared queries: built once
// on the pool, run on the pool or, unchanged, on one of its transactions.
// What postgres.js is asked to send is recorded here, not sent.

const US = { name: 'United States of America', two_letter: 'US' };
const REPLAYED = { lsn: '0/3000148', reached: true };

/** A postgres.js client's unsafe(), recording each call. */
function fakeClient() {
  const calls: { text: string; params: unknown[]; prepare: unknown }[] = [];
  const unsafe = (text: string, params: unknown[], options?: { prepare?: boolean }) => {
    calls.push({ text, params, prepare: options?.prepare });
    const rows = text.includes('pg_last_wal_replay_lsn') ? [REPLAYED] : [US];
    return Object.assign(Promise.resolve(rows), {
      values: () => Promise.resolve(rows.map((row) => Object.values(row))),
    });
  };
  return { calls, unsafe };
}

function fakePool() {
  const onPool = fakeClient();
  const onTransaction = fakeClient();
  const begun: string[] = [];
  const client = {
    unsafe: onPool.unsafe,
    options: { parsers: {}, serializers: {} },
    async begin(mode: string, work: (tx: unknown) => Promise<unknown>) {
      begun.push(mode);
      return work({ unsafe: onTransaction.unsafe });
    },
  } as unknown as Sql;
  const db = drizzle({ client });
  const queries = {
    byCode: db
      .select({ name: country.name, two_letter: country.two_letter })
      .from(country)
      .where(eq(country.two_letter, sql.placeholder('code')))
      .prepare('country_by_code'),
    replayed: rawStatement<typeof REPLAYED>(
      db,
      'replayed',
      sql`select pg_last_wal_replay_lsn()::text as lsn,
                 pg_last_wal_replay_lsn() >= ${sql.placeholder('target')}::pg_lsn as reached`,
    ),
  };
  const pool: Pool<typeof queries> = { sql: client, queries };
  return { pool, onPool: onPool.calls, onTransaction: onTransaction.calls, begun };
}

describe('a statement', () => {
  it('runs on the pool as a prepared statement, its placeholders filled in', async () => {
    const { pool, onPool, onTransaction } = fakePool();
    expect(await pool.queries.byCode.execute({ code: 'US' })).toEqual([US]);
    expect(onPool).toEqual([
      {
        text: 'select "name", "two_letter" from "country" where "country"."two_letter" = $1',
        params: ['US'],
        prepare: true,
      },
    ]);
    expect(onTransaction).toEqual([]);
  });

  it.each([
    { name: 'a builder query', run: 'byCode', values: { code: 'US' }, rows: [US] },
    { name: 'raw SQL', run: 'replayed', values: { target: '0/3000148' }, rows: [REPLAYED] },
  ] as const)(
    'runs $name on a read-only transaction: the same text and rows, prepared, not on the pool',
    async ({ run, values, rows }) => {
      const { pool, onPool, onTransaction, begun } = fakePool();
      expect(await pool.queries[run].execute(values)).toEqual(rows);
      const inTransaction = await readOnly(
        pool,
        (queries): Promise<unknown> => queries[run].execute(values),
      );
      expect(inTransaction).toEqual(rows);
      expect(begun).toEqual(['read only']);
      expect(onTransaction).toEqual(onPool);
      expect(onTransaction[0]?.prepare).toBe(true);
      // The pool's own statements still run on the pool.
      await pool.queries[run].execute(values);
      expect(onPool).toHaveLength(2);
      expect(onTransaction).toHaveLength(1);
    },
  );
});

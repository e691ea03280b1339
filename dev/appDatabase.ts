import { createHmac } from 'node:crypto';
import postgres from 'postgres';

export interface AppDatabase {
  role: string;
  password: string;
  database: string;
}

/** The role the local standbys stream as: CloudNativePG's name for it. */
export const REPLICATION_ROLE = 'streaming_replica';

/**
 * The replication role's password, derived from the superuser's (which the
 * local cluster always has at hand), so it needs no file of its own and does
 * not reveal the superuser's. Base64url: no conninfo quoting needed.
 */
export const replicationPassword = (superuserPassword: string) =>
  createHmac('sha256', superuserPassword).update(REPLICATION_ROLE).digest('base64url');

/** A superuser connection to the primary's `postgres` database. */
export function superuserConnection(primaryPort: number, superuserPassword: string): postgres.Sql {
  return postgres({
    host: '127.0.0.1',
    port: primaryPort,
    user: 'postgres',
    database: 'postgres',
    pass: superuserPassword,
    max: 1,
    fetch_types: false,
    onnotice: () => {},
  });
}

/**
 * The replication role, as CloudNativePG's `streaming_replica`: it may log in
 * and replicate, nothing else (pg_hba allows its replication connections
 * from 127.0.0.1 only; see replicatedCluster.ts).
 */
export async function ensureReplicationRole(sql: postgres.Sql, password: string): Promise<void> {
  const [role] = await sql`select 1 from pg_roles where rolname = ${REPLICATION_ROLE}`;
  if (!role) await sql`create role ${sql(REPLICATION_ROLE)} login replication`;
  await sql.unsafe(
    `alter role "${REPLICATION_ROLE}" login replication password '${password.replace(/'/g, "''")}'`,
  );
}

/**
 * Creates the application's role and database the way CloudNativePG's
 * bootstrap does: a non-superuser owner with pg_monitor, so the local
 * default exercises the same rights as production.
 */
export async function ensureAppDatabase(
  primaryPort: number,
  superuserPassword: string,
  app: AppDatabase,
): Promise<void> {
  const sql = superuserConnection(primaryPort, superuserPassword);
  try {
    const [role] = await sql`select 1 from pg_roles where rolname = ${app.role}`;
    if (!role) await sql`create role ${sql(app.role)} login`;
    await sql.unsafe(`alter role "${app.role}" password '${app.password.replace(/'/g, "''")}'`);
    await sql`grant pg_monitor to ${sql(app.role)}`;
    const [database] = await sql`select 1 from pg_database where datname = ${app.database}`;
    if (!database) await sql`create database ${sql(app.database)} owner ${sql(app.role)}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

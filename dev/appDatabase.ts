import postgres from 'postgres';

export interface AppDatabase {
  role: string;
  password: string;
  database: string;
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
  const sql = postgres({
    host: '127.0.0.1',
    port: primaryPort,
    user: 'postgres',
    database: 'postgres',
    pass: superuserPassword,
    max: 1,
    fetch_types: false,
    onnotice: () => {},
  });
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

import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` is used: it needs no database. Migrations are
// applied by db/migrate.ts with drizzle-orm's runtime migrator.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './drizzle',
});

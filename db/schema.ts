import { sql } from 'drizzle-orm';
import { bigint, check, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

// The checks repeat the HTTP validation so that no client, including psql,
// can store what the API would refuse.
export const country = pgTable(
  'country',
  {
    twoLetter: text('two_letter').primaryKey(),
    name: text('name').notNull(),
    countryId: integer('country_id').notNull().unique('country_country_id_key'),
  },
  (table) => [
    check('country_two_letter_format', sql`${table.twoLetter} ~ '^[A-Z]{2}$'`),
    check(
      'country_name_length',
      sql`char_length(${table.name}) between 1 and 100 and ${table.name} = btrim(${table.name})`,
    ),
    check('country_name_no_control_chars', sql`${table.name} !~ '[[:cntrl:]]'`),
    check('country_id_range', sql`${table.countryId} between 1 and 999`),
  ],
);

export type Country = typeof country.$inferSelect;

// One row per prober (the deployment's service name), upserted by every
// heartbeat of the replication check, so the table never grows. It remembers
// which primary wrote it (system_identifier, timeline): a change between two
// heartbeats is a failover.
export const replicationHeartbeat = pgTable('replication_heartbeat', {
  prober: text('prober').primaryKey(),
  sequence: bigint('sequence', { mode: 'number' }).notNull(),
  beatAt: timestamp('beat_at', { withTimezone: true }).notNull(),
  systemIdentifier: text('system_identifier'),
  timeline: integer('timeline'),
});

// The ceiling of a request that makes one database round trip: the Functions
// Framework, postgres.js and one prepared primary-key select on the primary,
// nothing else (no auth, validation, admission, deadline, Drizzle, metrics or
// logs). The benchmarks print it beside the service's GET /country/US, so the
// part of the gap to the hello world that is PostgreSQL's own CPU on this
// machine is told apart from the part that is ours.
const functions = require('@google-cloud/functions-framework');
const postgres = require('postgres');

const sql = postgres({
  host: process.env.POSTGRES_MAIN_HOST,
  port: Number(process.env.POSTGRES_MAIN_PORT),
  user: process.env.POSTGRES_USER,
  password: process.env.POSTGRES_MAIN_PASSWORD,
  database: process.env.POSTGRES_DB,
  max: Number(process.env.DB_POOL_MAX ?? 10),
  fetch_types: false,
});

functions.http('rawSelect', async (_req, res) => {
  const [row] =
    await sql`select country_id, name, two_letter from country where two_letter = ${'US'}`;
  res.json(row);
});

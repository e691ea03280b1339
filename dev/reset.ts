// `npm run local:reset`: stops any PostgreSQL left running from .local-cluster
// and deletes it, so the next `npm start` creates a fresh pair.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_DIR } from './localDefault.js';
import { stopStalePostmaster } from './postgresServer.js';
import { pairPaths } from './replicatedPair.js';

// Deletes only a folder npm start made: never a folder LOCAL_CLUSTER_DIR names by mistake.
if (existsSync(LOCAL_DIR)) {
  const entries = await readdir(LOCAL_DIR);
  if (entries.some((entry) => !['state.json', 'pg'].includes(entry))) {
    console.error(`${LOCAL_DIR} holds files npm start does not make; not deleting it`);
    process.exit(1);
  }
}
const paths = pairPaths(join(LOCAL_DIR, 'pg'));
await stopStalePostmaster(paths.replica);
await stopStalePostmaster(paths.primary);
await rm(LOCAL_DIR, { recursive: true, force: true });
console.log(`removed ${LOCAL_DIR}`);

// `npm run local:reset`: stops any PostgreSQL left running from .local-cluster
// and deletes it, so the next `npm start` creates a fresh pair.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_DIR } from './localDefault.js';
import { stopStalePostmaster } from './postgresServer.js';
import { pairPaths } from './replicatedPair.js';

const paths = pairPaths(join(LOCAL_DIR, 'pg'));
await stopStalePostmaster(paths.replica);
await stopStalePostmaster(paths.primary);
await rm(LOCAL_DIR, { recursive: true, force: true });
console.log(`removed ${LOCAL_DIR}`);

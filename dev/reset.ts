// `npm run local:reset`: stops any PostgreSQL left running from .local-cluster
// and deletes it, so the next `npm start` creates a fresh cluster.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { LOCAL_DIR, localDataDir } from './localDefault.js';
import { asAccount, postgresAccount } from './osUser.js';
import { stopStalePostmaster } from './postgresServer.js';

// Deletes only a folder npm start made: never a folder LOCAL_CLUSTER_DIR names by mistake.
if (existsSync(LOCAL_DIR)) {
  const entries = await readdir(LOCAL_DIR);
  if (entries.some((entry) => !['state.json', 'pg'].includes(entry))) {
    console.error(`${LOCAL_DIR} holds files npm start does not make; not deleting it`);
    process.exit(1);
  }
}
const runAs = postgresAccount();
const dataDir = localDataDir(runAs);
if (existsSync(dataDir)) {
  for (const server of await readdir(dataDir)) {
    await stopStalePostmaster(join(dataDir, server));
  }
}
// As root the data lives outside the project, in a folder of its own: the
// account empties it (root never walks a tree the account can change, where a
// link could send it elsewhere), and root removes the empty folder.
const accountDir = dirname(dataDir);
if (runAs && existsSync(accountDir)) {
  await promisify(execFile)('find', [accountDir, '-mindepth', '1', '-delete'], {
    ...asAccount(runAs),
    cwd: accountDir,
  });
  await rmdir(accountDir);
}
await rm(LOCAL_DIR, { recursive: true, force: true });
console.log(`removed ${LOCAL_DIR}${runAs ? ` and ${dirname(dataDir)}` : ''}`);

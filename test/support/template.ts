import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureDir, initCluster } from '../../dev/clusterFiles.js';
import type { RunAs } from '../../dev/osUser.js';
import type { PgBinaries } from '../../dev/pgBinaries.js';
import { removeAsAccount } from '../../dev/replicatedCluster.js';

const run = promisify(execFile);

export interface Template {
  dataDir: string;
  superuserPassword: string;
}

/**
 * One initdb per machine and binary set, copied by every test pair, so a
 * fresh pair starts in about a second. Built aside and renamed into place,
 * so parallel test files never see half a template.
 */
export async function cachedTemplate(binaries: PgBinaries, runAs: RunAs): Promise<Template> {
  // By version, not path: every copy of the same binaries shares one template.
  const { stdout: version } = await run(binaries.initdb, ['--version']);
  const key = createHash('sha256')
    .update(`v2:${version.trim()}:${runAs?.uid}`)
    .digest('hex')
    .slice(0, 12);
  const root = join(tmpdir(), `pg-replica-functions-template-${key}`);
  const ready = join(root, 'ready');
  if (!existsSync(ready)) {
    const staging = `${root}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await ensureDir(staging, runAs, 0o755);
    const password = randomBytes(12).toString('base64url');
    await initCluster(binaries, join(staging, 'data'), password, runAs);
    await writeFile(join(staging, 'password'), password);
    await writeFile(join(staging, 'ready'), '');
    try {
      await rename(staging, root);
    } catch {
      await removeAsAccount(staging, runAs); // another worker won the race
    }
  }
  await mkdir(root, { recursive: true });
  return {
    dataDir: join(root, 'data'),
    superuserPassword: (await readFile(join(root, 'password'), 'utf8')).trim(),
  };
}

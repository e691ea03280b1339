import { parseConfig } from '../../config/config.js';
import { createDatabaseClients } from '../../db/clients.js';
import { loadConfiguredSecrets } from '../../secrets/secretStore.js';
import { databasePasswords } from '../../server/credentials.js';
import { heapAfterGc } from './heapScript.js';

// Run with --expose-gc (test/idleConnectionHeap.test.ts): the service's
// primary client opens OPEN_CONNECTIONS connections with as many reads at
// once, then reads one at a time, so all but one stay idle meanwhile (steady
// low traffic after a burst); prints the heap after a forced GC before and
// after IDLE_HEAP_READS reads (objects, not compiled code).
const env = JSON.parse(process.env.IDLE_HEAP_ENV ?? '{}') as Record<string, string>;
const reads = Number(process.env.IDLE_HEAP_READS ?? 100_000);
const OPEN_CONNECTIONS = 4;
const WARM_UP = 5000;

const config = parseConfig(env);
const secrets = await loadConfiguredSecrets(config.secrets);
const db = createDatabaseClients(
  config.database,
  'idle-connection-heap',
  databasePasswords(secrets),
);
const read = () => db.primary.query(({ queries }) => queries.byCode.execute({ code: 'US' }));
async function readEach(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const [row] = await read();
    if (row?.two_letter !== 'US') throw new Error('the read returned no US row');
  }
}

await Promise.all(Array.from({ length: OPEN_CONNECTIONS }, read));
await readEach(WARM_UP);
const before = await heapAfterGc();
await readEach(reads);
const after = await heapAfterGc();
await db.close();
await secrets.close();
console.log(JSON.stringify({ reads, before, after, perRead: (after - before) / reads }));

// Started by test/e2e/orphans.test.ts: starts a pair, prints its postmaster
// pids, then exits without stopping it, as a crashed test worker would.
import { startTestPair } from './testPair.js';

const pair = await startTestPair({ migrate: false });
console.log(`pids ${pair.pair.primary.pid} ${pair.pair.replica.pid}`);
process.exit(1);

// Started by test/e2e/localDefault.test.ts from a copy of the project: the
// test pair every database test uses, started, read from and stopped.
import { startTestPair } from './testPair.js';

const pair = await startTestPair();
try {
  const [row] = await pair.superuser('replica')`select count(*)::int as count from country`;
  console.log(`replica rows ${row?.count}`);
} finally {
  await pair.stop();
}

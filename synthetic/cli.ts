// npm run synthetic -- --url URL [--user U --password P] [--timeout-ms N]
// SYNTHETIC_USER / SYNTHETIC_PASSWORD may replace the flags (keeps the
// password out of the process list). Prints one line per step; exits 1 on
// any failure, 2 on bad arguments.
import { parseArgs } from 'node:util';
import { runJourney } from './journey.js';

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run synthetic -- --url URL [--user U --password P] [--timeout-ms N]`,
  );
  process.exit(2);
}

let values: { url?: string; user?: string; password?: string; 'timeout-ms'?: string };
try {
  ({ values } = parseArgs({
    options: {
      url: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      'timeout-ms': { type: 'string' },
    },
  }));
} catch (error) {
  usage((error as Error).message);
}
if (!values.url || !/^https?:\/\//.test(values.url)) usage('--url http(s)://… is required');
const timeoutMs = Number(values['timeout-ms'] ?? 15_000);
if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
  usage('--timeout-ms must be a positive whole number');

const ok = await runJourney({
  url: values.url,
  user: values.user ?? process.env.SYNTHETIC_USER,
  password: values.password ?? process.env.SYNTHETIC_PASSWORD,
  timeoutMs,
  report: ({ step, ok, ms, detail }) => {
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${step.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms  ${detail}`,
    );
  },
});
console.log(ok ? 'synthetic check passed' : 'synthetic check FAILED');
process.exit(ok ? 0 : 1);

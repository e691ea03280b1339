import type { Logger } from '../log/logger.js';

/**
 * A signal this soon after the first is a copy of it, not a second request.
 * One Ctrl-C on `npm start` reaches the server two or three times: the
 * terminal signals the whole foreground process group, npm forwards the
 * signal to its script, and tsx relays it to its child (the server) whenever
 * the child's report does not reach it within 30 ms, so the copies arrive
 * tens of milliseconds after the first. Judging by the time between them is
 * what holds however the server is started (npm, tsx, a shell, an init that
 * forwards to its children), where recognising one parent's relay would not.
 * Times are taken when the handlers run, so a busy event loop only brings
 * copies closer together. A person's deliberate second Ctrl-C comes later.
 */
const SAME_SIGNAL_WINDOW_MS = 1000;

/**
 * Cloud Run sends SIGTERM before stopping an instance; Ctrl-C sends SIGINT.
 * Either drains once; a second signal, from SAME_SIGNAL_WINDOW_MS after the
 * first on, exits at once.
 */
export function onShutdownSignal(log: Logger, shutdown: () => Promise<void>): void {
  let first: number | undefined;
  const handle = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (first !== undefined) {
      const after = Math.round(now - first);
      if (after < SAME_SIGNAL_WINDOW_MS) {
        log('INFO', `${signal} again ${after} ms later: the same one, still draining`, {
          hint: `a ${signal} from ${SAME_SIGNAL_WINDOW_MS} ms after the first stops at once`,
        });
        return;
      }
      log('WARNING', `second ${signal}: exiting without draining`);
      process.exit(1);
    }
    first = now;
    log('INFO', `${signal} received: draining`);
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        log('ERROR', 'shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

import type { Logger, Severity } from '../log/logger.js';

/** Events a caller can repeat at will (failed auth, malformed requests): logged at a bounded rate. */
type ThrottledLog = (fields: Record<string, unknown>) => void;

/** The longest piece of a request (a path, a method) that reaches a log line. */
const LOGGED_PREFIX_CHARS = 64;

/** The first LOGGED_PREFIX_CHARS characters of a caller's text, marked when cut. */
export function prefixOf(text: string | undefined): string {
  const value = text ?? '';
  return value.length <= LOGGED_PREFIX_CHARS ? value : `${value.slice(0, LOGGED_PREFIX_CHARS)}…`;
}

/**
 * At most one line per `intervalMs` for one kind of event. The first event
 * of a quiet spell is logged at once; those that follow within the interval
 * are counted, and when it ends one line says how many there were (with the
 * last one's fields), then a new interval starts. Its timer never holds the
 * process open.
 */
export function throttledLog(
  log: Logger,
  severity: Severity,
  message: string,
  intervalMs: number,
): ThrottledLog {
  let quietAt = 0;
  let suppressed = 0;
  let last: Record<string, unknown> = {};
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    timer = undefined;
    log(severity, `${message} (${suppressed} more in the last ${intervalMs / 1000} s)`, {
      ...last,
      suppressed,
    });
    suppressed = 0;
    quietAt = Date.now() + intervalMs;
  };

  return (fields) => {
    const now = Date.now();
    if (now >= quietAt && timer === undefined) {
      quietAt = now + intervalMs;
      log(severity, message, fields);
      return;
    }
    suppressed++;
    last = fields;
    if (timer === undefined) {
      timer = setTimeout(flush, Math.max(0, quietAt - now));
      timer.unref();
    }
  };
}

import pino, { type DestinationStream } from 'pino';

// Logs through pino, as Cloud Logging reads them from stdout: one JSON object
// a line, `severity` and `message` its fields (everything else lands in
// jsonPayload), `time` in RFC 3339, trace correlation in the
// logging.googleapis.com/* fields (trace.ts). Values of secret-looking keys,
// and of the keys its creator names secret (the option table's secret
// variables: server/bootstrap.ts), are redacted wherever they appear; secrets
// are never put in messages.

export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export type Logger = (
  severity: Severity,
  message: string,
  fields?: Record<string, unknown>,
) => void;

const LEVEL: Record<Severity, pino.Level> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
};
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** Keys whose values never reach a log line, whoever creates the logger. */
const SECRET_KEYS = ['password', 'pass', 'secret', 'authorization', 'cookie', 'conninfo'];
export const REDACTED = '[redacted]';

/**
 * A logger writing to `destination` (stdout, synchronously, unless told).
 * The values of SECRET_KEYS and of `secretKeys` are redacted at the top of a
 * line's fields and up to three levels down.
 */
export function createLogger(
  destination?: DestinationStream,
  secretKeys: readonly string[] = [],
): Logger {
  const redacted = [...SECRET_KEYS, ...secretKeys];
  const logger = pino(
    {
      level: 'debug',
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }) },
      redact: {
        paths: redacted.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
        censor: REDACTED,
      },
    },
    // Synchronous: a line written just before process.exit is not lost.
    destination ?? pino.destination({ sync: true }),
  );
  return (severity, message, fields = {}) => logger[LEVEL[severity]](fields, message);
}

/**
 * Error details for logs: name, message, SQLSTATE and stack, never the values
 * of query parameters (Drizzle's "Failed query: … params: …" message carries
 * them, so a driver error is described by its cause instead).
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const driver =
    error.message.startsWith('Failed query:') && error.cause instanceof Error ? error.cause : error;
  const code = (driver as { code?: unknown }).code;
  return {
    error: driver.message,
    errorName: driver.name,
    ...(typeof code === 'string' ? { sqlState: code } : {}),
    stack: driver.stack
      ?.split('\n')
      .filter((line) => !line.includes('params:'))
      .join('\n'),
  };
}

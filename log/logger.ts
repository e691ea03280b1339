// Cloud Logging reads one JSON object per line on stdout/stderr: `severity`
// and `message` are its fields, everything else lands in jsonPayload.

type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export type Logger = (
  severity: Severity,
  message: string,
  fields?: Record<string, unknown>,
) => void;

export const log: Logger = (severity, message, fields = {}) => {
  const line = JSON.stringify({ severity, message, ...fields });
  if (severity === 'ERROR' || severity === 'WARNING') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
};

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

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

/** Error details for logs: name, message and stack, never the values of parameters. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const cause = error.cause instanceof Error ? { cause: error.cause.message } : {};
  return { error: error.message, errorName: error.name, stack: error.stack, ...cause };
}

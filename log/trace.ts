// Trace correlation for Cloud Logging: a log line written while serving a
// request carries the request's trace, so the console shows it with the
// request. From W3C `traceparent` (00-<trace>-<span>-<flags>) or Google's
// `X-Cloud-Trace-Context` (<trace>/<span>;o=<sampled>).

let traceProject: string | undefined;

/** The project traces live in (Cloud Logging links `projects/P/traces/T`). */
export function setTraceProject(project: string | undefined): void {
  traceProject = project;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const CLOUD_TRACE = /^([0-9a-f]{32})(?:\/(\d+))?(?:;o=([01]))?$/;

type Headers = Record<string, string | string[] | undefined>;

export function traceFields(headers: Headers): Record<string, string | boolean> {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  let trace: string | undefined;
  let span: string | undefined;
  let sampled: boolean | undefined;
  const w3c = TRACEPARENT.exec(header('traceparent')?.trim().toLowerCase() ?? '');
  if (w3c) {
    [, trace, span] = w3c;
    sampled = (Number.parseInt(w3c[3] ?? '0', 16) & 1) === 1;
  } else {
    const cloud = CLOUD_TRACE.exec(header('x-cloud-trace-context')?.trim().toLowerCase() ?? '');
    if (!cloud) return {};
    [, trace] = cloud;
    // The span id of this header is decimal; Cloud Logging wants 16 hex digits.
    span = cloud[2] ? BigInt(cloud[2]).toString(16).padStart(16, '0') : undefined;
    sampled = cloud[3] === undefined ? undefined : cloud[3] === '1';
  }
  if (!trace || /^0+$/.test(trace)) return {};
  return {
    'logging.googleapis.com/trace': traceProject
      ? `projects/${traceProject}/traces/${trace}`
      : trace,
    ...(span ? { 'logging.googleapis.com/spanId': span } : {}),
    ...(sampled === undefined ? {} : { 'logging.googleapis.com/trace_sampled': sampled }),
  };
}

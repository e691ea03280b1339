export interface LagSummary {
  last: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export const UNKNOWN_LAG: LagSummary = { last: null, p50: null, p90: null, p99: null, max: null };

const round = (value: number) => Number(value.toFixed(3));

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Percentiles of a window's lags, in ms. `values` are in heartbeat order; a
 * heartbeat not shown within the threshold is in it as the time waited for it
 * (a lower bound). Null throughout when nothing was seen: unknown, never 0.
 */
export function summarise(values: number[], seen: number): LagSummary {
  if (seen === 0 || values.length === 0) return UNKNOWN_LAG;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    last: round(values[values.length - 1] ?? Number.NaN),
    p50: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

// Small statistics helpers shared by every benchmark.

/** The value at percentile `p` (0-100) of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The middle value; of an even count, the mean of the two middle ones (not the higher one). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The round whose `by` is the median (the lower middle one of an even count): shown in full. */
export function medianRound<T>(rounds: readonly T[], by: (round: T) => number): T {
  const sorted = [...rounds].sort((a, b) => by(a) - by(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

/** A figure measured in rounds: the median, the spread (min–max) and each round in running order. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    rounds: [...values],
  };
}

/**
 * The largest value (NaN when empty), by a loop: `Math.max(...values)` passes every value as an
 * argument and throws a RangeError past about 120,000 of them (a sustained phase's receipts).
 */
export function largest(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let found = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > found) found = value;
  return found;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** `value / baseline`, rounded; NaN when the baseline is missing or zero. */
export function ratio(value: number | undefined, baseline: number | undefined, digits = 3): number {
  if (value === undefined || baseline === undefined || !baseline) return Number.NaN;
  return round(value / baseline, digits);
}

export interface Distribution {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles of a sample (milliseconds or anything else), rounded to 0.1. */
export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
    mean: round(mean(sorted)),
  };
}

/** Points of the empirical CDF (value, percentile), thinned to at most `points` for a plot. */
export function cdf(values: readonly number[], points = 200): [number, number][] {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const step = Math.max(1, Math.floor(sorted.length / points));
  const out: [number, number][] = [];
  for (let i = 0; i < sorted.length; i += step) out.push([sorted[i] as number, (i / sorted.length) * 100]);
  out.push([sorted.at(-1) as number, 100]);
  return out;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly [number, number][]): number {
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  const num = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const den = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

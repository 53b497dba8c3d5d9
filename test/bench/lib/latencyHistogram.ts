// Latency recorded into an HdrHistogram (microsecond resolution, 3 significant digits) rather
// than kept as an array: constant memory at any rate and duration, exact enough at p99.9.

import hdr from 'hdr-histogram-js';
import { type Distribution, round } from './stats.ts';

/** One hour in microseconds: anything slower is clamped (and shows as the max). */
const highest = 3_600_000_000;

export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: highest,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  /** Records one latency in milliseconds (negative clock skew counts as 0). */
  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    this.histogram.recordValue(Math.min(highest, Math.max(1, Math.round(ms * 1_000))));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  private at(percentile: number): number {
    return this.count === 0 ? Number.NaN : round(this.histogram.getValueAtPercentile(percentile) / 1_000);
  }

  /** Percentiles in milliseconds, rounded to 0.1. */
  distribution(): Distribution {
    return {
      count: this.count,
      p50: this.at(50),
      p90: this.at(90),
      p95: this.at(95),
      p99: this.at(99),
      max: this.count === 0 ? Number.NaN : round(this.histogram.maxValue / 1_000),
      mean: this.count === 0 ? Number.NaN : round(this.histogram.mean / 1_000),
    };
  }

  /** Points of the CDF (ms, percent) for a plot, denser towards the tail. */
  cdf(): [number, number][] {
    if (this.count === 0) return [];
    const percents = [0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99, 100];
    return percents.map((p) => [round(this.histogram.getValueAtPercentile(p) / 1_000, 2), p]);
  }
}

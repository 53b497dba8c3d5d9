// The memory verdict of a soak: the least-squares slope of each process's resident memory over
// the second half of a steady load (the first half is warm-up: caches, JIT, pools filling),
// judged against a stated bound.

import { round, slope } from './stats.ts';

export interface MemorySlope {
  /** MiB per minute over the second half of the window. */
  slopeMbPerMinute: number;
  firstMb: number;
  lastMb: number;
  maxMb: number;
  samples: number;
  /** |slope| below the bound. */
  flat: boolean;
}

/** `points` are [seconds, MiB]; only those inside [from, to] count. */
export function memorySlope(
  points: readonly [number, number][],
  from: number,
  to: number,
  boundMbPerMinute: number,
): MemorySlope {
  const window = points.filter(([at]) => at >= from && at <= to);
  const half = window.filter(([at]) => at >= from + (to - from) / 2);
  const perMinute = round(slope(half) * 60, 2);
  const values = window.map(([, mb]) => mb);
  return {
    slopeMbPerMinute: perMinute,
    firstMb: values[0] ?? Number.NaN,
    lastMb: values.at(-1) ?? Number.NaN,
    maxMb: values.length === 0 ? Number.NaN : Math.max(...values),
    samples: half.length,
    flat: half.length >= 2 && Math.abs(perMinute) < boundMbPerMinute,
  };
}

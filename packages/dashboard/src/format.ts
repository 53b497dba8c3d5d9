/** Figures as the page shows them: short, exact where it matters. */

export function count(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return Math.round(value).toLocaleString('en-US');
}

/** A rate per second with sensible precision. */
export function rate(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value === 0) return '0';
  if (value < 10) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = seconds / 60;
  if (minutes < 60) return `${Math.floor(minutes)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${Math.round(minutes % 60)} min`;
}

/** A time of day with milliseconds (events of one message are often milliseconds apart). */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toLocaleDateString('en-CA')} ${clock(iso)}`;
}

/**
 * Counts per bucket as rates per second. The last bucket is still filling: its count is divided
 * by the time it has run so far (at least one second), so the line does not dip at the end.
 */
export function perSecond(
  counts: readonly (number | null)[],
  bucketStarts: readonly number[],
  bucketMs: number,
  nowMs: number,
): (number | null)[] {
  return counts.map((value, index) => {
    if (value === null) return null;
    const start = bucketStarts[index] ?? 0;
    const elapsed =
      index === counts.length - 1 ? Math.min(bucketMs, Math.max(1_000, nowMs - start)) : bucketMs;
    return value / (elapsed / 1_000);
  });
}

/** The sum of the last `buckets` values (nulls count as nothing). */
export function recent(values: readonly (number | null)[], buckets: number): number {
  return values.slice(-buckets).reduce<number>((sum, value) => sum + (value ?? 0), 0);
}

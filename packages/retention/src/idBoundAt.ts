/**
 * The smallest key with `prefix` whose UUIDv7 was made at `ms` or later: the id's first 12 hex
 * digits are its creation time in milliseconds, so keys compare as their times do.
 */
export function idBoundAt(prefix: string, ms: number): string {
  return `${prefix}${Math.floor(ms).toString(16).padStart(12, '0')}`;
}

/** The time a bound made by idBoundAt stands for; undefined when `bound` is not one. */
export function timeOfIdBound(prefix: string, bound: string): number | undefined {
  if (!bound.startsWith(prefix)) return undefined;
  const hex = bound.slice(prefix.length, prefix.length + 12);
  return /^[0-9a-f]{12}$/.test(hex) ? Number.parseInt(hex, 16) : undefined;
}

export const dayMs = 86_400_000;

/** Midnight UTC of the day `ms` falls in. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / dayMs) * dayMs;
}

/** `table_pYYYYMMDD`: the partition of `table` for the UTC day starting at `dayStartMs`. */
export function partitionName(table: string, dayStartMs: number): string {
  return `${table}_p${new Date(dayStartMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

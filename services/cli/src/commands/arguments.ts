import { duration } from '@exactly/config';
import { InvalidArgumentError } from 'commander';

/** `acc_` / `key_` / `msg_` + 32 hex digits. */
export const idPattern = (prefix: string) => new RegExp(`^${prefix}_[0-9a-f]{32}$`);

/** A commander parser for a whole number from 1 to `max`. */
export function positiveNumber(flag: string, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max)
      throw new InvalidArgumentError(`${flag} must be a whole number from 1 to ${max}`);
    return parsed;
  };
}

/** A positive number (rates may be fractional). */
export function positiveRate(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0)
      throw new InvalidArgumentError(`${flag} must be a positive number`);
    return parsed;
  };
}

/** `30s`, `15m`, `24h`, `7d` (or ms) to milliseconds. */
export function durationArgument(flag: string) {
  return (value: string): number => {
    const parsed = duration.safeParse(value);
    if (!parsed.success)
      throw new InvalidArgumentError(`${flag}: expected a duration such as 30s, 15m, 24h or 7d`);
    return parsed.data;
  };
}

/** A duration, or `forever`. */
export function retentionArgument(flag: string) {
  const parse = durationArgument(flag);
  return (value: string): number => (value === 'forever' ? Number.POSITIVE_INFINITY : parse(value));
}

/** `--at`: an RFC 3339 time with an offset, or `+<duration>` from now (`+10m`, `+2h`). */
export function sendAtArgument(flag: string) {
  const after = durationArgument(flag);
  return (value: string): string => {
    if (value.startsWith('+')) return new Date(Date.now() + after(value.slice(1))).toISOString();
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value) ||
      Number.isNaN(Date.parse(value))
    )
      throw new InvalidArgumentError(
        `${flag}: expected an RFC 3339 time with an offset (2026-12-24T09:00:00+01:00) or +<duration> (+10m)`,
      );
    return value;
  };
}

import { backoffDelay as sharedBackoffDelay } from '@exactly/errors';

export interface RetryPolicy {
  /** Retries after the first attempt (default 4: five attempts in all). */
  maxRetries: number;
  /** The backoff's first ceiling (default 200 ms); it doubles per retry. */
  initialDelayMs: number;
  /** The backoff's largest ceiling, and the most a `Retry-After` is honoured for (default 20 s). */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 4, initialDelayMs: 200, maxDelayMs: 20_000 };

/**
 * Capped exponential backoff with full jitter: a uniformly random delay between 0 and
 * min(max, initial * 2^retry), so many clients retrying at once spread out.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  return sharedBackoffDelay(retry, { ...policy, jitter: 'full' }, random);
}

/** A `Retry-After` header (seconds or an HTTP date) as milliseconds from `now`, if present and valid. */
export function retryAfterDelay(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The delay before retry number `retry` (0-based): the server's `Retry-After` when it gave
 * one (capped at the policy's maximum), else the jittered backoff.
 */
export function delayBeforeRetry(
  retry: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs: number | undefined,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  return backoffDelay(retry, policy, random);
}

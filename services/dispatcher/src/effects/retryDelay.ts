import { backoffDelay } from '@exactly/errors';

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before attempt `attempt + 1` after attempt `attempt` failed: the one backoff, with
 * "equal jitter" (half fixed, half random) so that the sends that failed together do not all come
 * back at the same instant, yet none retries immediately.
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return backoffDelay(
    attempt - 1,
    { initialDelayMs: policy.baseDelayMs, maxDelayMs: policy.maxDelayMs, jitter: 'equal' },
    random,
  );
}

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before attempt `attempt + 1` after attempt `attempt` failed: exponential in the
 * attempt, capped, with "equal jitter" (half fixed, half random) so that the sends that failed
 * together do not all come back at the same instant, yet none retries immediately.
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

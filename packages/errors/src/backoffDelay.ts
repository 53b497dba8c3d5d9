export interface Backoff {
  /** The ceiling of the first retry; it doubles with each retry after it. */
  initialDelayMs: number;
  /** The largest ceiling, however many retries came before. */
  maxDelayMs: number;
  /**
   * `full`: anywhere between 0 and the ceiling (many independent clients spread the most).
   * `equal`: between half the ceiling and all of it (spread, yet never an immediate retry).
   */
  jitter: 'full' | 'equal';
}

/**
 * The one retry backoff: capped exponential (`initialDelayMs * 2^retry`, never above
 * `maxDelayMs`) with jitter, so the callers that failed together do not come back in step.
 * `retry` counts the retries made before this one (0 for the first).
 */
export function backoffDelay(retry: number, backoff: Backoff, random: () => number = Math.random): number {
  // The exponent is bounded so that a long outage never overflows the ceiling to Infinity.
  const ceiling = Math.min(
    backoff.maxDelayMs,
    backoff.initialDelayMs * 2 ** Math.min(Math.max(0, retry), 30),
  );
  const fixed = backoff.jitter === 'equal' ? ceiling / 2 : 0;
  return Math.floor(fixed + random() * (ceiling - fixed));
}

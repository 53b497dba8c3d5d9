/**
 * Capped exponential backoff with jitter: about `minMs * 2^attempt`, never above `maxMs`, and
 * at least half of that, so relays that failed together do not retry in step.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

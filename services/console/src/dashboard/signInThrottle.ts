/**
 * Failed dashboard sign-ins per client address in a fixed window: past `maxFailures`, that
 * address is refused until the window ends, whatever token it sends, so the operator token cannot
 * be guessed at request speed. Memory: one counter per address that failed in the window.
 */
export interface SignInThrottle {
  /** Seconds until the address may try again, or 0 when it may try now. */
  retryAfterSeconds(address: string): number;
  recordFailure(address: string): void;
}

export function createSignInThrottle({
  maxFailures,
  windowMs,
  now = Date.now,
}: {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}): SignInThrottle {
  let windowIndex = -1;
  const failures = new Map<string, number>();
  const roll = () => {
    const index = Math.floor(now() / windowMs);
    if (index !== windowIndex) {
      windowIndex = index;
      failures.clear();
    }
    return index;
  };
  return {
    retryAfterSeconds(address) {
      const index = roll();
      if ((failures.get(address) ?? 0) < maxFailures) return 0;
      return Math.max(1, Math.ceil(((index + 1) * windowMs - now()) / 1_000));
    },
    recordFailure(address) {
      roll();
      failures.set(address, (failures.get(address) ?? 0) + 1);
    },
  };
}

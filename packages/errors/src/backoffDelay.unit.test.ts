import { backoffDelay } from './backoffDelay.js';

describe('the retry backoff with equal jitter', () => {
  const equal = { initialDelayMs: 100, maxDelayMs: 10_000, jitter: 'equal' } as const;

  it('doubles from the minimum with each attempt', () => {
    const top = () => 1;
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, equal, top))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the maximum, however many attempts failed', () => {
    expect(backoffDelay(1_000, equal, () => 1)).toBe(10_000);
  });

  it('waits at least half the current step', () => {
    expect(backoffDelay(3, equal, () => 0)).toBe(400);
  });

  it('spreads the retries of callers that failed together', () => {
    const delays = new Set(
      Array.from({ length: 50 }, () => backoffDelay(3, { ...equal, initialDelayMs: 1_000 })),
    );
    expect(delays.size).toBeGreaterThan(40);
  });
});

describe('the retry backoff with full jitter', () => {
  const full = { initialDelayMs: 100, maxDelayMs: 10_000, jitter: 'full' } as const;

  it('doubles the ceiling per retry and draws uniformly below it', () => {
    expect([0, 1, 2, 3].map((retry) => backoffDelay(retry, full, () => 0.999_999))).toEqual([
      99, 199, 399, 799,
    ]);
    expect(backoffDelay(3, full, () => 0)).toBe(0);
    expect(backoffDelay(3, full, () => 0.5)).toBe(400);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelay(30, full, () => 0.999_999)).toBeLessThan(full.maxDelayMs);
  });
});

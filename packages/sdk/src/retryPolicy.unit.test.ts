import { backoffDelay, defaultRetryPolicy, retryAfterDelay } from './index.js';

describe('backoffDelay', () => {
  it('doubles the ceiling per retry and draws uniformly below it (full jitter)', () => {
    const policy = { maxRetries: 10, initialDelayMs: 100, maxDelayMs: 10_000 };
    expect([0, 1, 2, 3].map((retry) => backoffDelay(retry, policy, () => 0.999_999))).toEqual([
      99, 199, 399, 799,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelay(30, defaultRetryPolicy, () => 0.999_999)).toBeLessThan(defaultRetryPolicy.maxDelayMs);
  });
});

describe('retryAfterDelay', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');

  it('reads seconds and HTTP dates', () => {
    expect(retryAfterDelay('2', now)).toBe(2_000);
    expect(retryAfterDelay('Sun, 22 Nov 2026 12:00:05 GMT', now)).toBe(5_000);
  });

  it('ignores an absent or unreadable header', () => {
    expect(retryAfterDelay(null, now)).toBeUndefined();
    expect(retryAfterDelay('soon', now)).toBeUndefined();
  });
});
